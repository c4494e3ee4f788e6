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

/// Trimmed optional text of at most `max` characters; empty means absent.
pub fn opt_text(input: Option<String>, max: usize) -> Result<Option<String>, String> {
    match input.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > max => Err(format!("must be at most {max} characters")),
        other => Ok(other),
    }
}

/// A list of short labels (themes, words, goals): at most `max_items`, each 1–100 characters.
pub fn labels(input: Vec<String>, max_items: usize) -> Result<Vec<String>, String> {
    if input.len() > max_items {
        return Err(format!("must have at most {max_items} items"));
    }
    input
        .into_iter()
        .map(|s| s.trim().to_string())
        .map(|s| {
            if s.is_empty() || s.chars().count() > 100 {
                Err("items must be 1 to 100 characters".to_string())
            } else {
                Ok(s)
            }
        })
        .collect()
}
