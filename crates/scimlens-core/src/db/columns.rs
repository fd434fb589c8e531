//! Typed TEXT columns: an entity's kind, its status and a failure category are stored as their
//! names and read back strictly. A name this build does not know (a damaged workspace, or one
//! written by a newer scimlens) is a decode error, which surfaces as `CORRUPT`, never as a
//! silent default such as "ok".

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Sqlite, Type};

use crate::identity_store::PrincipalType;
use crate::model::{Category, EntityKind, EntityStatus};

macro_rules! text_column {
    ($ty:ty, $what:literal, $parse:expr) => {
        impl Type<Sqlite> for $ty {
            fn type_info() -> SqliteTypeInfo {
                <str as Type<Sqlite>>::type_info()
            }

            fn compatible(ty: &SqliteTypeInfo) -> bool {
                <str as Type<Sqlite>>::compatible(ty)
            }
        }

        impl Encode<'_, Sqlite> for $ty {
            fn encode_by_ref(
                &self,
                args: &mut SqliteArgumentsBuffer,
            ) -> Result<IsNull, BoxDynError> {
                <&str as Encode<Sqlite>>::encode_by_ref(&self.as_str(), args)
            }
        }

        impl<'r> Decode<'r, Sqlite> for $ty {
            fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&str as Decode<Sqlite>>::decode(value)?;
                let parse: fn(&str) -> Option<$ty> = $parse;
                parse(text).ok_or_else(|| format!("unknown {} {text:?}", $what).into())
            }
        }
    };
}

text_column!(EntityKind, "entity kind", |s| match s {
    "user" => Some(EntityKind::User),
    "group" => Some(EntityKind::Group),
    "unknown" => Some(EntityKind::Unknown),
    _ => None,
});
text_column!(EntityStatus, "entity status", |s| match s {
    "failing" => Some(EntityStatus::Failing),
    "resolved" => Some(EntityStatus::Resolved),
    "ok" => Some(EntityStatus::Ok),
    _ => None,
});
text_column!(PrincipalType, "principal type", PrincipalType::parse);
text_column!(Category, "failure category", |s| Category::ALL
    .into_iter()
    .find(|c| c.as_str() == s));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Workspace;
    use crate::error::{Error, ErrorCode};

    async fn read<T>(ws: &Workspace, text: &str) -> crate::error::Result<T>
    where
        T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + Send + Unpin,
    {
        let (value,): (T,) = sqlx::query_as("SELECT ?")
            .bind(text)
            .fetch_one(ws.pool())
            .await?;
        Ok(value)
    }

    #[tokio::test]
    async fn every_kind_status_and_category_reads_back_as_written() {
        let ws = Workspace::in_memory().await.unwrap();
        for kind in [EntityKind::User, EntityKind::Group, EntityKind::Unknown] {
            assert_eq!(read::<EntityKind>(&ws, kind.as_str()).await.unwrap(), kind);
        }
        for status in [
            EntityStatus::Failing,
            EntityStatus::Resolved,
            EntityStatus::Ok,
        ] {
            assert_eq!(
                read::<EntityStatus>(&ws, status.as_str()).await.unwrap(),
                status
            );
        }
        for category in Category::ALL {
            assert_eq!(
                read::<Category>(&ws, category.as_str()).await.unwrap(),
                category
            );
        }
        let (written,): (String,) = sqlx::query_as("SELECT ?")
            .bind(EntityStatus::Resolved)
            .fetch_one(ws.pool())
            .await
            .unwrap();
        assert_eq!(written, "resolved");
    }

    #[test]
    fn a_stored_name_is_the_name_the_json_report_uses() {
        for category in Category::ALL {
            let json = serde_json::to_string(&category).unwrap();
            assert_eq!(json, format!("\"{}\"", category.as_str()));
        }
        for status in [
            EntityStatus::Failing,
            EntityStatus::Resolved,
            EntityStatus::Ok,
        ] {
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.as_str())
            );
        }
        for kind in [EntityKind::User, EntityKind::Group, EntityKind::Unknown] {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
    }

    #[tokio::test]
    async fn an_unknown_stored_status_is_a_damaged_workspace_not_ok() {
        let ws = Workspace::in_memory().await.unwrap();
        let err: Error = read::<EntityStatus>(&ws, "fine").await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Corrupt);
        assert!(
            err.to_string().contains("unknown entity status \"fine\""),
            "{err}"
        );
        let err = read::<Category>(&ws, "missing_required_attribute")
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Corrupt);
        let err = read::<EntityKind>(&ws, "robot").await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Corrupt);
    }
}
