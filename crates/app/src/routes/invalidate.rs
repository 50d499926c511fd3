//! The instance admin's bulk invalidation (`/admin/invalidate`, the web side of
//! `signons admin invalidate`): a filter (petition, and a network, an email domain or a
//! time window), then a preview of what would go, then a button that invalidates it and a
//! page with what was done (`signons_signature::invalidation`).

use crate::page::{errors_context, parse_form, Visitor};
use crate::page_error::PageResult;
use crate::routes::admin::require_admin;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use serde::{Deserialize, Serialize};
use signons_federation::{sent, FederationError};
use signons_petition::FieldErrors;
use signons_render::Context;
use signons_signature::invalidation::{self, Filter, FilterInput, Invalidated, Preview};
use signons_signature::{NetworkKey, SignatureError};
use signons_store::DbConnection;

const TEMPLATE: &str = "admin_invalidate.html";

/// The page's one form; `action` is `preview` (the first button) or `confirm` (on the
/// preview, with the same filter in hidden fields).
#[derive(Deserialize, Serialize, Default)]
struct InvalidateForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default, skip_serializing)]
    action: String,
    #[serde(default)]
    petition: String,
    #[serde(default)]
    network: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
}

impl InvalidateForm {
    fn input(&self) -> FilterInput {
        FilterInput {
            petition: self.petition.clone(),
            network: self.network.clone(),
            domain: self.domain.clone(),
            from: self.from.clone(),
            until: self.until.clone(),
        }
    }
}

/// What the page shows besides the form.
enum Stage<'a> {
    /// The form, empty or with its errors (or a refusal's message).
    Form {
        errors: Option<&'a FieldErrors>,
        error: Option<&'a str>,
    },
    Preview(&'a Preview),
    Done(&'a Invalidated),
}

fn page(
    state: &AppState,
    visitor: &Visitor,
    form: &InvalidateForm,
    stage: Stage<'_>,
    status: StatusCode,
) -> PageResult {
    let mut context = Context::new();
    context.insert("form", form);
    let mut errors = serde_json::json!({});
    match stage {
        Stage::Form { errors: fields, error } => {
            context.insert("stage", "form");
            if let Some(fields) = fields {
                errors = errors_context(visitor.locale, fields);
            }
            context.insert("error", &error.map(|k| visitor.t(k)));
        }
        Stage::Preview(preview) => {
            context.insert("stage", "preview");
            context.insert("preview", preview);
        }
        Stage::Done(done) => {
            context.insert("stage", "done");
            context.insert("done", done);
        }
    }
    context.insert("errors", &errors);
    Ok(visitor.render(state, TEMPLATE, context, status))
}

fn form_error(state: &AppState, visitor: &Visitor, form: &InvalidateForm, status: StatusCode, key: &str) -> PageResult {
    page(state, visitor, form, Stage::Form { errors: None, error: Some(key) }, status)
}

#[get("/admin/invalidate")]
pub async fn invalidate_page(state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    require_admin(&visitor)?;
    page(&state, &visitor, &InvalidateForm::default(), Stage::Form { errors: None, error: None }, StatusCode::OK)
}

#[post("/admin/invalidate")]
pub async fn invalidate_submit(state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    let admin = require_admin(&visitor)?.email.clone();
    let Ok(form) = parse_form::<InvalidateForm>(&body) else {
        let form = InvalidateForm::default();
        return form_error(&state, &visitor, &form, StatusCode::BAD_REQUEST, "error-bad-request");
    };
    if visitor.check_csrf(&form.csrf).is_err() {
        return form_error(&state, &visitor, &form, StatusCode::FORBIDDEN, "error-csrf-failed");
    }
    let filter = match Filter::parse(&form.input()) {
        Ok(filter) => filter,
        Err(errors) => {
            let stage = Stage::Form { errors: Some(&errors), error: None };
            return page(&state, &visitor, &form, stage, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let key = NetworkKey::new(&state.signing.link_key);
    let (confirm, remote) = (form.action == "confirm", filter.is_remote());
    let outcome = if remote {
        // Signatures our signers sent to another instance's petition.
        let urls = state.fed().urls.clone();
        let run = move |conn: &mut DbConnection| match confirm {
            true => sent::invalidate(conn, &urls, &key, &filter, &admin).map(Ok),
            false => sent::preview_invalidation(conn, &key, &filter).map(Err),
        };
        let outcome = if confirm { state.db.write_async(run).await } else { state.db.read_async(run).await };
        match outcome {
            Ok(outcome) => Ok(outcome),
            Err(FederationError::Signature(e)) => Err(e),
            Err(e) => return Err(e.into()),
        }
    } else {
        let run = move |conn: &mut DbConnection| match confirm {
            true => invalidation::invalidate(conn, &key, &filter, &admin).map(Ok),
            false => invalidation::preview(conn, &key, &filter).map(Err),
        };
        if confirm {
            state.db.write_async(run).await
        } else {
            state.db.read_async(run).await
        }
    };
    match outcome {
        Ok(Ok(done)) => {
            if remote {
                // The Undo(Sign) queued for the petition's instance.
                state.fed().wake.notify_one();
            }
            // The count on the petition's pages and in the API drops at once.
            state.invalidate_petition(&done.petition_slug);
            page(&state, &visitor, &form, Stage::Done(&done), StatusCode::OK)
        }
        Ok(Err(preview)) => page(&state, &visitor, &form, Stage::Preview(&preview), StatusCode::OK),
        Err(SignatureError::PetitionNotFound) => {
            let mut errors = FieldErrors::default();
            errors.push("petition", "invalidate-error-petition", None);
            let stage = Stage::Form { errors: Some(&errors), error: None };
            page(&state, &visitor, &form, stage, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}
