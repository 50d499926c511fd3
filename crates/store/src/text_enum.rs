//! States kept as TEXT columns: `text_enum!` declares a Rust enum with one spelling per
//! variant. Reading a value the enum does not know fails the query (a `FromSql` error)
//! instead of turning into some default, and the migrations back this with a `CHECK`.

/// Declares `pub enum $name { $variant, … }` stored as the given strings, with `as_str`,
/// `parse`, `ALL`, `Display`, serde `Serialize` (as the string) and diesel `ToSql`/`FromSql`
/// for `Text` on both backends.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value spelled `s`, if there is one.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let s = String::from_sql(bytes)?;
                $name::parse(&s)
                    .ok_or_else(|| format!("unknown {} in the database: {s:?}", stringify!($name)).into())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::testing::{TempDatabase, TestBackend};
    use crate::StoreError;
    use diesel::prelude::*;

    crate::text_enum! {
        /// For the test only.
        pub enum Colour { Red = "red", Blue = "blue" }
    }

    fn read_back(backend: TestBackend) {
        use crate::schema::instance_settings as s;
        let tmp = TempDatabase::new(backend);
        let db = tmp.open();
        db.write(|conn| -> Result<(), StoreError> {
            diesel::insert_into(s::table).values((s::name.eq("known"), s::value.eq(Colour::Blue))).execute(conn)?;
            diesel::insert_into(s::table).values((s::name.eq("unknown"), s::value.eq("green"))).execute(conn)?;
            Ok(())
        })
        .unwrap();
        let known: Colour = db
            .read(|conn| -> Result<_, StoreError> {
                Ok(s::table.filter(s::name.eq("known")).select(s::value).first::<Colour>(conn)?)
            })
            .unwrap();
        assert_eq!(known, Colour::Blue);
        let unknown = db.read(|conn| -> Result<_, StoreError> {
            Ok(s::table.filter(s::name.eq("unknown")).select(s::value).first::<Colour>(conn)?)
        });
        // The query fails: the value is not read as some default.
        let err = unknown.unwrap_err();
        assert!(matches!(err, StoreError::Query(_)), "{err}");
        let source = format!("{err:?}");
        assert!(source.contains("unknown Colour") && source.contains("green"), "{source}");
    }

    #[test]
    fn unknown_values_fail_on_sqlite() {
        read_back(TestBackend::Sqlite);
    }

    #[test]
    fn unknown_values_fail_on_postgres() {
        read_back(TestBackend::Postgres);
    }

    #[test]
    fn spellings_round_trip() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Colour::parse("Red"), None);
    }
}
