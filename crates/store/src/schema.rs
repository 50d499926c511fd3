// The one schema for both backends; kept in step with migrations/{postgres,sqlite}.

diesel::table! {
    organizations (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        created_at -> Timestamp,
        description -> Nullable<Text>,
        website -> Nullable<Text>,
    }
}

diesel::table! {
    organizers (id) {
        id -> Text,
        organization_id -> Text,
        email -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        is_admin -> Bool,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_tokens (token_hash) {
        token_hash -> Text,
        organizer_id -> Text,
        created_at -> Timestamp,
        name -> Text,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (token_hash) {
        token_hash -> Text,
        organizer_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        organizer_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    petitions (id) {
        id -> Text,
        organization_id -> Text,
        slug -> Text,
        title -> Text,
        target -> Text,
        description_md -> Text,
        description_html -> Text,
        goal -> BigInt,
        end_at -> Nullable<Timestamp>,
        ask_country -> Bool,
        ask_postal_code -> Bool,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        partners -> Text,
        edited_at -> Nullable<Timestamp>,
        won_at -> Nullable<Timestamp>,
        victory_md -> Nullable<Text>,
        victory_html -> Nullable<Text>,
        hidden_reason -> Nullable<Text>,
        hidden_from -> Nullable<Text>,
        review_note -> Nullable<Text>,
        goal_fixed -> Bool,
    }
}

diesel::table! {
    reports (id) {
        id -> Text,
        petition_id -> Text,
        reason -> Text,
        details -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    signatures (id) {
        id -> Text,
        petition_id -> Text,
        name -> Text,
        email -> Text,
        email_canonical -> Text,
        country -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        comment -> Nullable<Text>,
        public -> Bool,
        opt_in -> Bool,
        locale -> Text,
        confirm_token_hash -> Nullable<Text>,
        withdraw_token_hash -> Nullable<Text>,
        token_expires_at -> Timestamp,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        anonymized_at -> Nullable<Timestamp>,
        digest -> Nullable<Text>,
        network_hash -> Nullable<Text>,
        invalidated_at -> Nullable<Timestamp>,
        comment_hidden_at -> Nullable<Timestamp>,
        source -> Text,
    }
}

diesel::table! {
    petition_counters (petition_id, shard) {
        petition_id -> Text,
        shard -> Integer,
        signatures -> BigInt,
    }
}

diesel::table! {
    outgoing_emails (id) {
        id -> Text,
        recipient -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    ap_local_keys (actor_url) {
        actor_url -> Text,
        public_key_pem -> Text,
        private_key_pem -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ap_remote_actors (url) {
        url -> Text,
        host -> Text,
        kind -> Text,
        username -> Text,
        name -> Nullable<Text>,
        inbox -> Text,
        shared_inbox -> Nullable<Text>,
        public_key_pem -> Text,
        fetched_at -> Timestamp,
        assertion_keys -> Nullable<Text>,
    }
}

diesel::table! {
    ap_assertion_keys (actor_url) {
        actor_url -> Text,
        public_key_multibase -> Text,
        secret_key_multibase -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ap_followers (local_actor, follower) {
        local_actor -> Text,
        follower -> Text,
        follower_host -> Text,
        follow_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ap_following (remote_actor) {
        remote_actor -> Text,
        host -> Text,
        follow_id -> Text,
        state -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ap_deliveries (id) {
        id -> Text,
        activity_id -> Text,
        actor_url -> Text,
        inbox -> Text,
        host -> Text,
        body -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    ap_received (activity_id) {
        activity_id -> Text,
        actor -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    ap_unreachable_instances (host) {
        host -> Text,
        failing_since -> Timestamp,
        last_failure_at -> Timestamp,
    }
}

diesel::table! {
    ap_domain_policies (domain) {
        domain -> Text,
        policy -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    instance_settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    petition_posts (id) {
        id -> Text,
        petition_id -> Text,
        kind -> Text,
        body_html -> Text,
        milestone -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    petition_responses (petition_id) {
        petition_id -> Text,
        responder -> Text,
        body_md -> Text,
        body_html -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    milestone_messages (petition_id, reached) {
        petition_id -> Text,
        reached -> BigInt,
        body_md -> Text,
        body_html -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    petition_images (petition_id) {
        petition_id -> Text,
        image_id -> Text,
        width -> Integer,
        height -> Integer,
        alt -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ap_petition_sync (petition_id) {
        petition_id -> Text,
        last_milestone -> BigInt,
        last_count_sent -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    remote_petitions (url) {
        url -> Text,
        host -> Text,
        slug -> Text,
        title -> Text,
        summary_html -> Text,
        target -> Text,
        page_url -> Text,
        attributed_to -> Text,
        signature_count -> BigInt,
        signature_goal -> BigInt,
        status -> Text,
        end_at -> Nullable<Timestamp>,
        received_at -> Timestamp,
        updated_at -> Timestamp,
        ask_country -> Bool,
        ask_postal_code -> Bool,
        inbox -> Nullable<Text>,
        partners -> Text,
        victory_html -> Nullable<Text>,
        edited_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    remote_posts (url) {
        url -> Text,
        actor -> Text,
        host -> Text,
        petition_url -> Nullable<Text>,
        content_html -> Text,
        published_at -> Timestamp,
        received_at -> Timestamp,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        queue -> Text,
        partition_key -> Nullable<Text>,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        run_at -> Timestamp,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        revived_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    remote_signatures (attestation_id) {
        attestation_id -> Text,
        petition_id -> Text,
        origin_host -> Text,
        sign_activity_id -> Text,
        digest -> Text,
        display_name -> Nullable<Text>,
        country -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        confirmed_at -> Timestamp,
        received_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
        activity -> Text,
    }
}

diesel::table! {
    petition_origin_counts (petition_id, origin_host) {
        petition_id -> Text,
        origin_host -> Text,
        signatures -> BigInt,
        counted -> Bool,
    }
}

diesel::joinable!(remote_signatures -> petitions (petition_id));
diesel::joinable!(petition_origin_counts -> petitions (petition_id));
diesel::joinable!(organizers -> organizations (organization_id));
diesel::joinable!(api_tokens -> organizers (organizer_id));
diesel::joinable!(sessions -> organizers (organizer_id));
diesel::joinable!(password_resets -> organizers (organizer_id));
diesel::joinable!(petitions -> organizations (organization_id));
diesel::joinable!(signatures -> petitions (petition_id));
diesel::joinable!(reports -> petitions (petition_id));
diesel::joinable!(petition_counters -> petitions (petition_id));
diesel::joinable!(petition_posts -> petitions (petition_id));
diesel::joinable!(petition_responses -> petitions (petition_id));
diesel::joinable!(petition_images -> petitions (petition_id));
diesel::joinable!(ap_petition_sync -> petitions (petition_id));
diesel::joinable!(ap_followers -> ap_remote_actors (follower));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    organizers,
    api_tokens,
    sessions,
    password_resets,
    petitions,
    signatures,
    petition_counters,
    outgoing_emails,
    ap_local_keys,
    ap_assertion_keys,
    ap_remote_actors,
    ap_followers,
    ap_following,
    ap_unreachable_instances,
    ap_deliveries,
    ap_received,
    ap_domain_policies,
    instance_settings,
    petition_posts,
    petition_responses,
    petition_images,
    ap_petition_sync,
    remote_petitions,
    remote_posts,
    jobs,
    remote_signatures,
    petition_origin_counts,
    reports,
);

// Appended after the rest (2026-12-01-000002_withdraw_tokens). Pairs are listed one by one:
// one list with `signatures` and `petitions` would implement their pair a second time.
diesel::table! {
    withdraw_tokens (token_hash) {
        token_hash -> Text,
        signature_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(withdraw_tokens -> signatures (signature_id));
diesel::allow_tables_to_appear_in_same_query!(withdraw_tokens, signatures);
diesel::allow_tables_to_appear_in_same_query!(withdraw_tokens, petitions);

// Appended (2026-12-03-000001_sent_signatures): our signers' signatures of other
// instances' petitions.
diesel::table! {
    sent_signatures (id) {
        id -> Text,
        petition_url -> Text,
        name -> Text,
        email -> Text,
        email_canonical -> Text,
        country -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        public -> Bool,
        opt_in -> Bool,
        locale -> Text,
        confirm_token_hash -> Nullable<Text>,
        withdraw_token_hash -> Nullable<Text>,
        token_expires_at -> Timestamp,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
        answer -> Nullable<Text>,
        reason -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        network_hash -> Nullable<Text>,
        invalidated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sent_withdraw_tokens (token_hash) {
        token_hash -> Text,
        signature_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sent_withdraw_tokens -> sent_signatures (signature_id));
diesel::allow_tables_to_appear_in_same_query!(sent_signatures, sent_withdraw_tokens);
diesel::allow_tables_to_appear_in_same_query!(sent_signatures, remote_petitions);

// Appended (2026-12-05-000041_network_hash_invalidation): what admins invalidated in bulk.
diesel::table! {
    signature_invalidations (id) {
        id -> Text,
        petition_id -> Text,
        actor -> Text,
        filter -> Text,
        pending -> BigInt,
        confirmed -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(signature_invalidations -> petitions (petition_id));
diesel::allow_tables_to_appear_in_same_query!(signature_invalidations, petitions);
diesel::allow_tables_to_appear_in_same_query!(signature_invalidations, signatures);

// Appended (2026-12-06-000001_sent_invalidation): what admins invalidated in bulk among the
// signatures sent to other instances.
diesel::table! {
    sent_signature_invalidations (id) {
        id -> Text,
        petition_url -> Text,
        actor -> Text,
        filter -> Text,
        pending -> BigInt,
        confirmed -> BigInt,
        created_at -> Timestamp,
    }
}

// Appended (2026-12-07-000101_news_mailings): news emailed to a petition's signers.
diesel::table! {
    news_mailings (post_id) {
        post_id -> Text,
        petition_id -> Text,
        markdown -> Text,
        after_signature -> Nullable<Text>,
        queued -> BigInt,
        done_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(news_mailings -> petitions (petition_id));
diesel::allow_tables_to_appear_in_same_query!(news_mailings, petitions);
diesel::allow_tables_to_appear_in_same_query!(news_mailings, signatures);

// Appended (2026-12-09-000101_organizations): organizers' roles in organizations, and the
// invitations owners send.
diesel::table! {
    memberships (organizer_id, organization_id) {
        organizer_id -> Text,
        organization_id -> Text,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invitations (token_hash) {
        token_hash -> Text,
        organization_id -> Text,
        email -> Text,
        role -> Text,
        invited_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(memberships -> organizations (organization_id));
diesel::joinable!(memberships -> organizers (organizer_id));
diesel::joinable!(invitations -> organizations (organization_id));
diesel::allow_tables_to_appear_in_same_query!(memberships, organizations);
diesel::allow_tables_to_appear_in_same_query!(memberships, organizers);
diesel::allow_tables_to_appear_in_same_query!(invitations, organizations);
diesel::allow_tables_to_appear_in_same_query!(invitations, organizers);

// Appended (2026-12-11-000101_organization_logos): an organization's logo.
diesel::table! {
    organization_logos (organization_id) {
        organization_id -> Text,
        image_id -> Text,
        width -> Integer,
        height -> Integer,
        created_at -> Timestamp,
    }
}

diesel::joinable!(organization_logos -> organizations (organization_id));
diesel::allow_tables_to_appear_in_same_query!(organization_logos, organizations);
diesel::allow_tables_to_appear_in_same_query!(organization_logos, petitions);

// Appended (2026-12-13-000101_sent_news_mailings): news of petitions elsewhere, emailed to
// our signers of them.
diesel::table! {
    sent_news_mailings (id) {
        id -> Text,
        petition_url -> Text,
        organization -> Text,
        html -> Text,
        text -> Text,
        after_signature -> Nullable<Text>,
        queued -> BigInt,
        done_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(sent_news_mailings, sent_signatures);
diesel::allow_tables_to_appear_in_same_query!(sent_news_mailings, remote_petitions);
