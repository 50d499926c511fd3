//! The read model: what pages, the JSON API and the federation routes show, loaded from
//! the database and shaped for them. It never knows of HTTP routes; routes call it.

pub mod api_organization;
pub mod api_petition;
pub mod export;
pub mod insight;
pub mod lists;
pub mod own;
pub mod people;
pub mod remote;
pub mod snapshot;
pub mod views;
