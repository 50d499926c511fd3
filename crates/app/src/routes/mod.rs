pub mod api;
pub mod organizer;
pub mod public;
pub mod system;
