//! The agency side (SPEC AG-1, AG-2, AG-3): an agency's clients with their brand profiles,
//! personas, and campaigns. A member with the Client role sees only the clients they are
//! attached to, and only what belongs to those clients.

pub mod campaigns;
pub mod clients;
pub mod ideas;
pub mod personas;

use crate::api::permissions::Role;
use crate::api::{Call, Member};
use crate::error::AppError;

/// The one rule of what a Client member sees, as SQL (a `&'static str`): rows whose `$column`
/// names a client the user bound at `$param` is attached to, and every row when that parameter
/// is `''` (a caller who is not a Client member; see [`client_limit`]).
/// `client_visible!("client_id", "?2")`.
#[macro_export]
macro_rules! client_visible {
    ($column:literal, $param:literal) => {
        concat!(
            "(",
            $param,
            " = '' OR ",
            $column,
            " IN (SELECT client_id FROM client_members WHERE user_id = ",
            $param,
            "))"
        )
    };
}

/// The user whose client attachments limit what the caller sees, or "" when nothing is limited:
/// the parameter of [`client_visible!`].
pub fn client_limit(call: &Call<'_>, member: &Member) -> Result<String, AppError> {
    Ok(if member.role == Role::Client { call.caller()?.user_id.clone() } else { String::new() })
}

pub use crate::validate::{labels, opt_text};
