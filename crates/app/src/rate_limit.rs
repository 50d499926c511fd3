//! Per-address limits on signing and logging in.

use crate::state::AppState;
use actix_web::HttpRequest;
use std::net::IpAddr;

fn client_ip(state: &AppState, req: &HttpRequest) -> Option<IpAddr> {
    if state.config.trust_forwarded_for {
        if let Some(ip) = req.connection_info().realip_remote_addr().and_then(|s| s.parse().ok()) {
            return Some(ip);
        }
    }
    req.peer_addr().map(|a| a.ip())
}

pub fn allow_sign(state: &AppState, req: &HttpRequest) -> bool {
    match (&state.sign_limiter, client_ip(state, req)) {
        (Some(limiter), Some(ip)) => limiter.check_key(&ip).is_ok(),
        _ => true,
    }
}

pub fn allow_login(state: &AppState, req: &HttpRequest) -> bool {
    client_ip(state, req).is_none_or(|ip| state.login_limiter.check_key(&ip).is_ok())
}
