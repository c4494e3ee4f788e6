//! The agency's types: what its inputs parse into and what its answers show, with the
//! `DOCUMENTED` tables of what each parser checks.

pub mod campaigns;
pub mod clients;
pub mod ideas;
pub mod personas;
