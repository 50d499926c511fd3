// The one schema for both backends; kept in step with migrations/{postgres,sqlite}.

diesel::table! {
    organizations (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organizers (id) {
        id -> Text,
        organization_id -> Text,
        email -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (token_hash) {
        token_hash -> Text,
        organizer_id -> Text,
        created_at -> Timestamp,
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

diesel::joinable!(organizers -> organizations (organization_id));
diesel::joinable!(api_tokens -> organizers (organizer_id));
diesel::joinable!(sessions -> organizers (organizer_id));
diesel::joinable!(petitions -> organizations (organization_id));
diesel::joinable!(signatures -> petitions (petition_id));
diesel::joinable!(petition_counters -> petitions (petition_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    organizers,
    api_tokens,
    sessions,
    petitions,
    signatures,
    petition_counters,
    outgoing_emails,
);
