//! The agency's store: the only SQL on `clients` and `client_members` (`clients`), `personas`,
//! `campaigns`, and `ideas` with their `idea_decisions` (`ideas`). Every read a Client member
//! makes goes through [`client_visible!`](crate::client_visible).

pub mod campaigns;
pub mod clients;
pub mod ideas;
pub mod personas;
