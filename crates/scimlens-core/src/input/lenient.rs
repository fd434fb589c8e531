//! Record types whose fields go by several names.
//!
//! Real exports carry old and new spellings of a field in the same record (Azure Monitor writes
//! both `action` and `provisioningAction`, `Id` beside `id`), and some repeat a key. serde's
//! `alias` rejects the second spelling with "duplicate field", which turns a valid export into an
//! error. [`lenient_record!`] declares a struct whose fields each list their names in order of
//! preference: the most preferred name present wins whatever the order in the record, a repeated
//! name keeps its first value, and unknown keys are skipped and counted (a record type can list
//! the keys it knows but does not read, so only genuinely unexpected ones are counted).
//!
//! ```ignore
//! lenient_record! {
//!     pub(crate) struct Identity {
//!         pub id: Option<String> = ["id", "Id"] via de_text,
//!         pub details: Option<Value> = ["details", "Details"],
//!     }
//!     known ["@odata.type"]
//! }
//! ```
//!
//! A field with no names (`= []`) is never read from the record; code fills it in.
//! Each struct gets a `unknown_keys: u32` field (how many keys it skipped as unknown) and a
//! `Default` impl; fields read with `via` use the given `deserialize_with`-style function.

/// See the module documentation.
macro_rules! lenient_record {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $fvis:vis $field:ident : $ty:ty = [$($key:literal),* $(,)?] $(via $with:path)?
            ),* $(,)?
        }
        $(known [$($known:literal),* $(,)?])?
    ) => {
        $(#[$meta])*
        #[derive(Default)]
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: $ty, )*
            /// Keys of the record this type neither reads nor knows.
            pub unknown_keys: u32,
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                const NAMES: &[&[&str]] = &[ $( &[$($key),*] ),* ];
                const KNOWN: &[&str] = &[ $($($known),*)? ];
                struct Visit;
                impl<'de> serde::de::Visitor<'de> for Visit {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("an object (", stringify!($name), ")"))
                    }
                    #[allow(unused_assignments, unused_mut, unused_variables)]
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        let mut out = $name::default();
                        // The preference rank of the name each field was read from (lower is
                        // preferred; usize::MAX: not read yet).
                        let mut ranks = [usize::MAX; NAMES.len()];
                        while let Some(key) =
                            map.next_key_seed($crate::input::lenient::KeySeed { names: NAMES, known: KNOWN })?
                        {
                            let $crate::input::lenient::Key::Field { field, rank } = key else {
                                if matches!(key, $crate::input::lenient::Key::Unknown) {
                                    out.unknown_keys += 1;
                                }
                                map.next_value::<serde::de::IgnoredAny>()?;
                                continue;
                            };
                            if rank >= ranks[field] {
                                map.next_value::<serde::de::IgnoredAny>()?;
                                continue;
                            }
                            ranks[field] = rank;
                            let mut index = 0usize;
                            $(
                                if field == index {
                                    out.$field = lenient_record!(@value map, $ty $(, $with)?);
                                    continue;
                                }
                                index += 1;
                            )*
                            unreachable!("field index {field} out of range");
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(Visit)
            }
        }
    };
    (@value $map:ident, $ty:ty) => {
        $map.next_value::<$ty>()?
    };
    (@value $map:ident, $ty:ty, $with:path) => {{
        struct With($ty);
        impl<'de> serde::Deserialize<'de> for With {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $with(d).map(With)
            }
        }
        $map.next_value::<With>()?.0
    }};
}

pub(crate) use lenient_record;

/// What a member name of a lenient record is.
#[doc(hidden)]
pub enum Key {
    /// Read into field `field`, from its name of preference `rank`.
    Field {
        field: usize,
        rank: usize,
    },
    /// Known to the format but not read.
    Known,
    Unknown,
}

/// Matches a member name against a record's field names without allocating.
#[doc(hidden)]
pub struct KeySeed {
    pub names: &'static [&'static [&'static str]],
    pub known: &'static [&'static str],
}

impl KeySeed {
    fn classify(&self, key: &str) -> Key {
        for (field, names) in self.names.iter().enumerate() {
            if let Some(rank) = names.iter().position(|n| *n == key) {
                return Key::Field { field, rank };
            }
        }
        if self.known.contains(&key) {
            Key::Known
        } else {
            Key::Unknown
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(self.classify(v))
    }
}

#[cfg(test)]
mod tests {
    use crate::input::value::de_text;

    lenient_record! {
        struct Sample {
            action: Option<String> = ["provisioningAction", "action", "Action"] via de_text,
            id: Option<String> = ["id", "Id"] via de_text,
            nested: Option<Inner> = ["nested"],
        }
        known ["tenantId"]
    }

    lenient_record! {
        struct Inner {
            status: Option<String> = ["status", "Status"] via de_text,
        }
    }

    fn parse(s: &str) -> Sample {
        serde_json::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn the_preferred_name_wins_whatever_the_order() {
        for text in [
            r#"{"action":"old","provisioningAction":"new"}"#,
            r#"{"provisioningAction":"new","action":"old"}"#,
            r#"{"Action":"older","action":"old","provisioningAction":"new"}"#,
        ] {
            assert_eq!(parse(text).action.as_deref(), Some("new"), "{text}");
        }
        assert_eq!(parse(r#"{"Action":"x"}"#).action.as_deref(), Some("x"));
    }

    #[test]
    fn capitalised_twins_and_repeated_keys_are_not_errors() {
        let s = parse(r#"{"Id":"A","id":"a","id":"b","nested":{"Status":1,"status":"ok"}}"#);
        assert_eq!(s.id.as_deref(), Some("a"));
        assert_eq!(s.nested.unwrap().status.as_deref(), Some("ok"));
    }

    #[test]
    fn unknown_keys_are_counted_and_known_ones_are_not() {
        let s = parse(r#"{"tenantId":"t","extra":{"deep":[1,2]},"more":null,"id":3}"#);
        assert_eq!(s.unknown_keys, 2);
        assert_eq!(s.id.as_deref(), Some("3"));
    }

    #[test]
    fn a_field_of_the_wrong_type_is_still_an_error() {
        assert!(serde_json::from_str::<Sample>(r#"{"nested":"oops"}"#).is_err());
        assert!(serde_json::from_str::<Sample>(r#"[1]"#).is_err());
    }
}
