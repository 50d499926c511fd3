pub mod account;
pub mod admin;
pub mod api;
pub mod federation;
pub mod jobs;
pub mod organizer;
pub mod public;
pub mod system;
