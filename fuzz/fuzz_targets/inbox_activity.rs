//! A body sent to the inbox, taken through everything the inbox does to it before any
//! database or network use: the head the policy reads (`inbox::Head`), the activity the
//! library deserializes and `verify` checks (`Incoming::parse`), and the objects each type
//! reads from it (a note, a petition, attestations, a refusal's reason), with remote HTML
//! cleaned as it is before it is stored. Nothing panics; cleaned HTML is safe to show; an
//! activity survives the re-serialization that keeping a `Sign` relies on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use signons_federation::activities::{object_id, Incoming};
use signons_federation::inbox::Head;
use signons_federation::remote::{clean_html, clean_text, GroupJson, NoteJson};
use signons_federation::sign::{Attestation, RejectReason};
use signons_federation::urls::same_host;

fn note(object: &Value) {
    if let Ok(note) = serde_json::from_value::<NoteJson>(object.clone()) {
        if let Ok(html) = clean_html(&note.content) {
            signons_fuzz::assert_safe_html(&html, signons_fuzz::web_scheme);
        }
    }
}

fn group(object: &Value) {
    if let Ok(group) = serde_json::from_value::<GroupJson>(object.clone()) {
        let title = clean_text(&group.name, 200);
        assert!(title.chars().all(|c| !c.is_control() || c == '\n'));
        for html in [&group.summary] {
            if let Ok(html) = clean_html(html) {
                signons_fuzz::assert_safe_html(&html, signons_fuzz::web_scheme);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(head) = Head::parse(data) {
        let _ = head.accepted();
    }
    let Ok(incoming) = Incoming::parse(data) else { return };
    let e = incoming.envelope();
    match &incoming {
        Incoming::Create(_) | Incoming::Update(_) | Incoming::Delete(_) => {
            let id = object_id(&e.object).expect("checked: the object has an id");
            assert!(same_host(&e.actor, &id).is_ok(), "checked: the sender's own object");
        }
        _ => {}
    }
    match &incoming {
        Incoming::Create(e) => note(&e.object),
        Incoming::Announce(e) => {
            note(&e.object);
            if let Some(inner) = e.object.get("object") {
                note(inner);
            }
        }
        Incoming::Update(e) => group(&e.object),
        Incoming::Reject(e) => {
            let _ = serde_json::from_value::<RejectReason>(e.rest.get("reason").cloned().unwrap_or_default());
        }
        Incoming::Sign(e) => {
            for a in &e.attestations {
                let _ = serde_json::from_value::<Attestation>(a.clone());
            }
        }
        _ => {}
    }
    for a in &e.attestations {
        let _ = object_id(a);
    }
    // A `Sign` is kept as re-serialized from what was parsed (`activities::receive`): that
    // text must read back as the same activity.
    let text = serde_json::to_vec(&incoming).expect("an activity serializes");
    let back = Incoming::parse(&text).expect("a re-serialized activity parses");
    let (a, b) = (
        serde_json::to_value(&back).ok().map(without_floats),
        serde_json::to_value(&incoming).ok().map(without_floats),
    );
    assert_eq!(a, b);
});

/// Floats aside: serde_json reads some of them back one unit in the last place off, which
/// is no loss for an activity (none of ours carries a float).
fn without_floats(value: Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => Value::Null,
        Value::Array(items) => Value::Array(items.into_iter().map(without_floats).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, without_floats(v))).collect()),
        other => other,
    }
}
