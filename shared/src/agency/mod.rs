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

/// The user whose client attachments limit what the caller sees, or "" when nothing is limited.
/// Queries use it as `(?N = '' OR client_id IN (SELECT client_id FROM client_members WHERE user_id = ?N))`.
pub fn client_limit(call: &Call<'_>, member: &Member) -> Result<String, AppError> {
    Ok(if member.role == Role::Client { call.caller()?.user_id.clone() } else { String::new() })
}

pub use crate::validate::{labels, opt_text};
