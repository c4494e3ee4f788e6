//! Herald's black-box API suite. Runs in process by default; with `HERALD_BASE_URL` set it
//! runs unchanged against that server (the real Worker under `wrangler dev`).

mod accounts;
mod agency;
mod ai;
mod approvals;
mod bluesky;
mod branding;
mod calendar;
mod comments;
mod ideas;
mod identity;
mod limits;
mod media;
mod plans;
mod platform;
mod posts;
mod privacy;
mod publishing;
mod review_links;
mod slack;
mod tasks;
mod templates;
mod tokens;
mod workspaces;
