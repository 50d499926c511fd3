//! `PageError`: the error of the HTML handlers. Handlers return `PageResult` and use `?`
//! on anything that converts into an `AppError`; the answer is the error page in the
//! visitor's language (or, for `Unauthorized`, a redirect to the login page).
//!
//! Why a middleware renders it: actix builds an error's response from the error alone
//! (`ResponseError::error_response` sees no request), while the page needs the visitor
//! (language, CSRF cookie, who is logged in) and the renderer. So `error_response` gives a
//! plain-text answer with the right status, and `render_page_errors`, wrapped around the
//! application, replaces it with the page. The JSON API keeps `AppError`, whose answers
//! are `{"error", "message"}` JSON.

use crate::error::{log_if_internal, AppError};
use crate::page::Visitor;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpResponse, ResponseError};
use std::fmt;

/// What an HTML handler answers.
pub type PageResult = Result<HttpResponse, PageError>;

/// An error answered as an HTML page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self.0 {
            AppError::Unauthorized => StatusCode::SEE_OTHER,
            _ => self.0.status_code(),
        }
    }

    /// Logs internal errors (once, here), and answers in plain text; `render_page_errors`
    /// turns that into the page.
    fn error_response(&self) -> HttpResponse {
        log_if_internal(&self.0);
        let mut response = HttpResponse::build(self.0.status_code());
        if let Some(seconds) = self.0.retry_after() {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds));
        }
        response.content_type("text/plain; charset=utf-8").body(self.0.to_string())
    }
}

/// Middleware: a response made from a `PageError` becomes the error page for this visitor.
pub async fn render_page_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let Some(error) = res.response().error().and_then(|e| e.as_error::<PageError>()) else {
        return Ok(res.map_into_left_body());
    };
    let Some(state) = res.request().app_data::<web::Data<AppState>>().cloned() else {
        return Ok(res.map_into_left_body());
    };
    // The handler's visitor is gone with its response: read it again (a cookie parse, and
    // for an organizer one session look-up, on error answers only).
    let page = match Visitor::from_request(res.request(), &mut Payload::None).await {
        Ok(visitor) => visitor.error_page(&state, &error.0),
        Err(_) => return Ok(res.map_into_left_body()),
    };
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, page).map_into_right_body())
}
