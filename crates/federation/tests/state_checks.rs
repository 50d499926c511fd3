#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions
//! The typed states in the database (migration `2026-12-01-000003_state_checks`), on both
//! backends: the database refuses a state no Rust enum knows, and a row that holds one
//! anyway (written past the check, as a bug or a hand edit would) fails the query that
//! reads it, instead of being read as a draft, as news, as `allow` or as the open mode.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use signons_federation::follows::{self, FollowState};
use signons_federation::policy::{self, DomainPolicy, Mode};
use signons_federation::{posts, FederationError, LocalRef};
use signons_petition::{petition, Petition, PetitionStatus};
use signons_store::schema::{
    ap_domain_policies as dp, ap_following as fing, instance_settings as settings, petition_posts as pp, petitions,
};
use signons_store::testing::{TempDatabase, TestBackend};
use signons_store::{Database, DbConnection, Id};

fn petition_of(db: &Database) -> Petition {
    db.write(signons_petition::testing::sample_petition).unwrap().1
}

fn write(db: &Database, f: impl FnOnce(&mut DbConnection) -> QueryResult<usize>) -> Result<usize, FederationError> {
    db.write(|conn| -> Result<usize, FederationError> { Ok(f(conn)?) })
}

fn follow_row(conn: &mut DbConnection, state: &str) -> QueryResult<usize> {
    let now = signons_store::now();
    diesel::insert_into(fing::table)
        .values((
            fing::remote_actor.eq("http://remote.example/actor"),
            fing::host.eq("remote.example"),
            fing::follow_id.eq("http://local.example/activities/1"),
            fing::state.eq(state),
            fing::created_at.eq(now),
            fing::updated_at.eq(now),
        ))
        .execute(conn)
}

fn post_row(conn: &mut DbConnection, petition: &Id, kind: &str) -> QueryResult<usize> {
    diesel::insert_into(pp::table)
        .values((
            pp::id.eq(Id::new()),
            pp::petition_id.eq(petition),
            pp::kind.eq(kind),
            pp::body_html.eq("<p>hello</p>"),
            pp::created_at.eq(signons_store::now()),
        ))
        .execute(conn)
}

fn rule_row(conn: &mut DbConnection, policy: &str) -> QueryResult<usize> {
    diesel::insert_into(dp::table)
        .values((dp::domain.eq("odd.example"), dp::policy.eq(policy), dp::created_at.eq(signons_store::now())))
        .execute(conn)
}

fn mode_row(conn: &mut DbConnection, mode: &str) -> QueryResult<usize> {
    diesel::insert_into(settings::table)
        .values((settings::name.eq("federation_mode"), settings::value.eq(mode)))
        .execute(conn)
}

fn set_status(conn: &mut DbConnection, petition: &Id, status: &str) -> QueryResult<usize> {
    diesel::update(petitions::table.filter(petitions::id.eq(petition))).set(petitions::status.eq(status)).execute(conn)
}

fn assert_refused(result: Result<usize, FederationError>, what: &str) {
    let err = result.expect_err(what);
    let text = format!("{err:?}").to_lowercase();
    assert!(text.contains("check"), "{what}: {text}");
}

/// Every state column refuses a value its enum does not have, on insert and on update.
fn unknown_values_are_refused(backend: TestBackend) {
    let temp = TempDatabase::new(backend);
    let db = temp.open();
    let p = petition_of(&db);
    assert_refused(write(&db, |c| set_status(c, &p.id, "paused")), "petition status on update");
    assert_refused(write(&db, |c| follow_row(c, "maybe")), "follow state");
    assert_refused(write(&db, |c| post_row(c, &p.id, "rumour")), "post kind");
    assert_refused(write(&db, |c| rule_row(c, "maybe")), "domain rule");
    assert_refused(write(&db, |c| mode_row(c, "closed")), "federation mode on insert");
    // Through an update of the column too, not only on insert.
    write(&db, |c| follow_row(c, FollowState::Pending.as_str())).unwrap();
    assert_refused(write(&db, |c| diesel::update(fing::table).set(fing::state.eq("maybe")).execute(c)), "follow");
    db.write(|c| policy::set_mode(c, Mode::Allowlist)).unwrap();
    assert_refused(
        write(&db, |c| diesel::update(settings::table).set(settings::value.eq("closed")).execute(c)),
        "federation mode on update",
    );
    // Other settings are free text; the known values still go in.
    write(&db, |c| {
        diesel::insert_into(settings::table)
            .values((settings::name.eq("other"), settings::value.eq("closed")))
            .execute(c)
    })
    .unwrap();
    for status in PetitionStatus::ALL {
        write(&db, |c| set_status(c, &p.id, status.as_str())).unwrap();
    }
    // Nothing of the refused writes is there.
    let (posts, rules): (i64, i64) = db
        .read(|c| -> Result<_, FederationError> {
            Ok((pp::table.filter(pp::kind.eq("rumour")).count().get_result(c)?, dp::table.count().get_result(c)?))
        })
        .unwrap();
    assert_eq!((posts, rules), (0, 0));
}

#[test]
fn unknown_values_are_refused_on_sqlite() {
    unknown_values_are_refused(TestBackend::Sqlite);
}

#[test]
fn unknown_values_are_refused_on_postgres() {
    unknown_values_are_refused(TestBackend::Postgres);
}

/// Takes the checks away, as only a test may: then unknown values can be stored.
fn drop_checks(conn: &mut DbConnection) -> QueryResult<()> {
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "DROP TRIGGER petitions_status_check_update; DROP TRIGGER ap_following_state_check_insert;
             DROP TRIGGER petition_posts_kind_check_insert; DROP TRIGGER ap_domain_policies_policy_check_insert;
             DROP TRIGGER instance_settings_value_check_insert;"
        }
        DbConnection::Pg(_) => {
            "ALTER TABLE petitions DROP CONSTRAINT petitions_status_check;
             ALTER TABLE ap_following DROP CONSTRAINT ap_following_state_check;
             ALTER TABLE petition_posts DROP CONSTRAINT petition_posts_kind_check;
             ALTER TABLE ap_domain_policies DROP CONSTRAINT ap_domain_policies_policy_check;
             ALTER TABLE instance_settings DROP CONSTRAINT instance_settings_federation_mode_check;"
        }
    };
    conn.batch_execute(sql)
}

fn assert_unreadable<T: std::fmt::Debug>(result: Result<T, FederationError>, enum_name: &str, value: &str) {
    let err = result.expect_err(enum_name);
    let text = format!("{err:?}");
    assert!(text.contains(&format!("unknown {enum_name}")) && text.contains(value), "{text}");
}

/// A stored value no enum knows fails the read; it is never taken for a default.
fn unknown_values_fail_reads(backend: TestBackend) {
    let temp = TempDatabase::new(backend);
    let db = temp.open();
    let p = petition_of(&db);
    db.write(|c| -> Result<(), FederationError> { Ok(drop_checks(c)?) }).unwrap();

    // A post of an unknown kind: the outbox does not show it as news, it fails.
    write(&db, |c| post_row(c, &p.id, "rumour")).unwrap();
    assert_unreadable(db.read(|c| posts::posts_by(c, &LocalRef::Instance, 10)), "PostKind", "rumour");
    write(&db, |c| diesel::delete(pp::table).execute(c)).unwrap();

    write(&db, |c| follow_row(c, "maybe")).unwrap();
    assert_unreadable(db.read(follows::following), "FollowState", "maybe");

    // An unknown rule is not `allow`, an unknown mode is not `open`: the policy cannot load.
    write(&db, |c| rule_row(c, "maybe")).unwrap();
    assert_unreadable(db.read(policy::rules), "DomainPolicy", "maybe");
    assert_unreadable(db.read(policy::Policy::load).map(|_| ()), "DomainPolicy", "maybe");
    db.write(|c| policy::set_rule(c, "odd.example", Some(DomainPolicy::Block))).unwrap();
    assert_eq!(db.read(policy::rules).unwrap()[0].policy, DomainPolicy::Block);
    write(&db, |c| mode_row(c, "closed")).unwrap();
    assert_unreadable(db.read(policy::mode), "Mode", "closed");

    // A petition of an unknown status is not a draft: finding it fails.
    write(&db, |c| set_status(c, &p.id, "paused")).unwrap();
    let found = db.read(|c| Ok::<_, FederationError>(petition::find(c, &p.slug)?));
    assert_unreadable(found, "PetitionStatus", "paused");
}

#[test]
fn unknown_values_fail_reads_on_sqlite() {
    unknown_values_fail_reads(TestBackend::Sqlite);
}

#[test]
fn unknown_values_fail_reads_on_postgres() {
    unknown_values_fail_reads(TestBackend::Postgres);
}
