//! Identity's handlers: parse → call the use case → respond.

pub mod account;
pub mod auth;
pub mod sessions;

/// The caller's token outlived the account (erased meanwhile): the caller is nobody now.
pub(crate) fn gone() -> crate::error::AppError {
    crate::error::AppError::Unauthorized("the account no longer exists".into())
}
