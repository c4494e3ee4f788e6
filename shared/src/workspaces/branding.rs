//! A workspace's white-label branding (ContentOS): the name, logo and colours its clients see
//! on review pages, and the sender name and support address its mails carry. Stored in the
//! workspace's `branding` object beside any other keys a frontend keeps there; these keys are
//! checked when set and read leniently.

use serde_json::{Map, Value as Json};

use crate::error::FieldError;
use crate::identity::model::Email;

/// The brand as Herald uses it; each part only when set and well formed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Brand {
    /// Shown to clients instead of the workspace's name (1 to 100 characters).
    pub display_name: Option<String>,
    /// An image of the workspace's media library, shown on review pages.
    pub logo_media_id: Option<String>,
    /// `#rrggbb`: the review page's accent.
    pub primary_color: Option<String>,
    pub accent_color: Option<String>,
    /// The mails' sender name (1 to 64 characters; `<`, `>` and `"` are left out of the header).
    pub mail_sender_name: Option<String>,
    /// Where replies to the mails go, and what review pages offer for questions.
    pub support_email: Option<String>,
}

fn color(v: &Json) -> Result<String, &'static str> {
    match v.as_str() {
        Some(s) if s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(s.to_ascii_lowercase())
        }
        _ => Err("must be a colour as #rrggbb"),
    }
}

fn line(v: &Json, max: usize) -> Result<String, String> {
    crate::validate::line(v.as_str().ok_or_else(|| "must be a string".to_string())?, max)
}

/// Each known key's value as Herald reads it, or why it cannot be.
fn parse(key: &str, v: &Json) -> Option<Result<String, String>> {
    Some(match key {
        "displayName" => line(v, 100),
        "mailSenderName" => line(v, 64),
        "primaryColor" | "accentColor" => color(v).map_err(String::from),
        "logoMediaId" => match v.as_str() {
            Some(id) if crate::api::route::is_id(id) => Ok(id.to_string()),
            _ => Err("must be the id of an image in the workspace's media library".into()),
        },
        "supportEmail" => match v.as_str().map(Email::parse) {
            Some(Ok(e)) => Ok(e.as_str().to_string()),
            _ => Err("must be an email address".into()),
        },
        _ => return None,
    })
}

/// What is wrong with the known keys of `branding` (null removes a key, so it is fine), each
/// named `branding.<key>`.
pub fn check(branding: &Map<String, Json>) -> Vec<FieldError> {
    branding
        .iter()
        .filter(|(_, v)| !v.is_null())
        .filter_map(|(k, v)| match parse(k, v)? {
            Ok(_) => None,
            Err(m) => Some(FieldError::new(format!("branding.{k}"), m)),
        })
        .collect()
}

impl Brand {
    /// The brand in a stored `branding` object; what is not well formed is left out.
    pub fn of(branding: &Map<String, Json>) -> Brand {
        let get = |key: &str| branding.get(key).and_then(|v| parse(key, v)).and_then(Result::ok);
        Brand {
            display_name: get("displayName"),
            logo_media_id: get("logoMediaId"),
            primary_color: get("primaryColor"),
            accent_color: get("accentColor"),
            mail_sender_name: get("mailSenderName"),
            support_email: get("supportEmail"),
        }
    }

    /// What a mail needs of a stored brand (its names and support address), read as stored:
    /// they were checked when set, and checking them again here would link address parsing
    /// into every host that sends notices (the publisher); only blank values are left out.
    pub fn for_mail(text: &str) -> Brand {
        let Ok(Json::Object(map)) = serde_json::from_str::<Json>(text) else { return Brand::default() };
        let get =
            |key: &str| map.get(key).and_then(Json::as_str).map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        Brand {
            display_name: get("displayName"),
            mail_sender_name: get("mailSenderName"),
            support_email: get("supportEmail"),
            ..Brand::default()
        }
    }

    /// The brand in a stored `branding` column's text.
    pub fn from_text(text: &str) -> Brand {
        match serde_json::from_str::<Json>(text) {
            Ok(Json::Object(map)) => Brand::of(&map),
            _ => Brand::default(),
        }
    }

    /// The name clients see: the brand's, else the workspace's.
    /// The sender name for a mail's `From`, without what would break the header.
    pub fn sender(&self) -> Option<String> {
        let name = self.mail_sender_name.as_deref().or(self.display_name.as_deref())?;
        Some(name.chars().filter(|c| !matches!(c, '<' | '>' | '"' | '\\')).collect())
    }

    pub fn name_or<'a>(&'a self, workspace_name: &'a str) -> &'a str {
        self.display_name.as_deref().unwrap_or(workspace_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_keys_are_checked_and_others_kept_as_they_are() {
        let Json::Object(ok) = json!({"displayName": "Acme Studio", "primaryColor": "#FF0066", "logoMediaId": "01900000-0000-7000-8000-000000000000",
            "supportEmail": "help@acme.test", "mailSenderName": "Acme", "logoUrl": "anything", "color": null})
        else {
            unreachable!()
        };
        assert!(check(&ok).is_empty());
        let brand = Brand::of(&ok);
        assert_eq!(brand.primary_color.as_deref(), Some("#ff0066"));
        assert_eq!(brand.name_or("Workspace"), "Acme Studio");
        let Json::Object(bad) = json!({"primaryColor": "red;}", "mailSenderName": 7, "supportEmail": "nope", "logoMediaId": "x", "displayName": ""})
        else {
            unreachable!()
        };
        let mut fields: Vec<String> = check(&bad).into_iter().map(|e| e.field).collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "branding.displayName",
                "branding.logoMediaId",
                "branding.mailSenderName",
                "branding.primaryColor",
                "branding.supportEmail"
            ]
        );
        assert_eq!(Brand::of(&bad), Brand::default(), "nothing malformed is used");
    }
}
