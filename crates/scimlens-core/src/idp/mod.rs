//! The identity providers' APIs, read-only: [`http`], the HTTPS client every pull shares
//! (bounded answers, timeouts, cancel); [`google`], Google Workspace's directory through the
//! Admin SDK Directory API.

// Reached only by its tests until a pull uses it.
#[allow(dead_code)]
pub mod http;
pub mod google;
