//! Media assets: the allowed types and their size limits, the API's inputs and views, and the
//! parsing of every input field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::documented::{field, query, Documented, Rule};
use crate::validate::{labels, opt_text};

const MIB: i64 = 1024 * 1024;

/// A type the library accepts, with what it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType {
    pub content_type: &'static str,
    /// The stored object's extension.
    pub extension: &'static str,
    pub max_bytes: i64,
    pub video: bool,
}

pub const IMAGE_MAX_BYTES: i64 = 20 * MIB;
pub const VIDEO_MAX_BYTES: i64 = 500 * MIB;

/// The allow-list.
pub const TYPES: [MediaType; 6] = [
    MediaType { content_type: "image/jpeg", extension: "jpg", max_bytes: IMAGE_MAX_BYTES, video: false },
    MediaType { content_type: "image/png", extension: "png", max_bytes: IMAGE_MAX_BYTES, video: false },
    MediaType { content_type: "image/gif", extension: "gif", max_bytes: IMAGE_MAX_BYTES, video: false },
    MediaType { content_type: "image/webp", extension: "webp", max_bytes: IMAGE_MAX_BYTES, video: false },
    MediaType { content_type: "video/mp4", extension: "mp4", max_bytes: VIDEO_MAX_BYTES, video: true },
    MediaType { content_type: "video/quicktime", extension: "mov", max_bytes: VIDEO_MAX_BYTES, video: true },
];

/// `image/png; charset=x` and ` IMAGE/PNG` both mean `image/png`.
pub fn normalize_type(input: &str) -> String {
    input.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

pub fn media_type(content_type: &str) -> Option<MediaType> {
    let wanted = normalize_type(content_type);
    TYPES.into_iter().find(|t| t.content_type == wanted)
}

fn allowed_list() -> String {
    TYPES.iter().map(|t| t.content_type).collect::<Vec<_>>().join(", ")
}

pub fn parse_type(input: &str) -> Result<MediaType, String> {
    media_type(input)
        .ok_or_else(|| format!("`{}` is not allowed; use one of {}", normalize_type(input), allowed_list()))
}

fn mib(bytes: i64) -> String {
    format!("{} MiB", bytes / MIB)
}

pub fn parse_size(size: i64, t: Option<MediaType>) -> Result<i64, String> {
    let max = t.map_or(VIDEO_MAX_BYTES, |t| t.max_bytes);
    if size < 1 {
        Err("must be at least 1 byte".into())
    } else if size > max {
        let what = match t {
            Some(t) if t.video => "videos",
            Some(_) => "images",
            None => "any file",
        };
        Err(format!("must be at most {} ({max} bytes) for {what}", mib(max)))
    } else {
        Ok(size)
    }
}

/// A file name as shown to people: its last path segment, 1–255 characters, no control characters.
pub fn parse_filename(input: &str) -> Result<String, String> {
    let name = input.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if name.is_empty() || name == "." || name == ".." {
        return Err("must be a file name".into());
    }
    if name.chars().count() > 255 {
        return Err("must be at most 255 characters".into());
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(name.to_string())
}

/// A folder path such as `campaigns/summer`: segments of 1–100 characters, 200 in all; empty
/// means the root (no folder).
pub fn parse_folder(input: &str) -> Result<Option<String>, String> {
    let path = input.trim().trim_matches('/');
    if path.is_empty() {
        return Ok(None);
    }
    if path.chars().count() > 200 {
        return Err("must be at most 200 characters".into());
    }
    let mut segments = Vec::new();
    for segment in path.split('/') {
        let segment = segment.trim();
        if segment.is_empty() || segment == "." || segment == ".." || segment.chars().count() > 100 {
            return Err("must be a path like `campaigns/summer` with segments of 1 to 100 characters".into());
        }
        if segment.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        segments.push(segment);
    }
    Ok(Some(segments.join("/")))
}

/// Tags: at most 30, each 1–100 characters, compared without case.
pub fn parse_tags(input: Vec<String>) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for tag in labels(input, 30)? {
        let tag = tag.to_lowercase();
        if tag.chars().any(char::is_control) {
            return Err("items must not contain control characters".into());
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

pub fn parse_alt_text(input: Option<String>) -> Result<Option<String>, String> {
    opt_text(input, 1000)
}

/// The largest width or height, in pixels.
pub const MAX_PIXELS: i64 = 100_000;

/// The longest video, in milliseconds (a day).
pub const MAX_DURATION_MS: i64 = 86_400_000;

/// A width or height in pixels.
pub fn parse_pixels(n: i64) -> Result<i64, String> {
    if (1..=MAX_PIXELS).contains(&n) {
        Ok(n)
    } else {
        Err("must be 1 to 100000 pixels".into())
    }
}

/// A video's length, at most a day.
pub fn parse_duration(n: i64) -> Result<i64, String> {
    if (1..=MAX_DURATION_MS).contains(&n) {
        Ok(n)
    } else {
        Err("must be 1 to 86400000 milliseconds".into())
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UploadInput {
    /// The original file name, for people.
    pub filename: String,
    /// image/jpeg, image/png, image/gif, image/webp (at most 20 MiB), video/mp4 or
    /// video/quicktime (at most 500 MiB).
    pub content_type: String,
    /// The exact size of the file in bytes.
    pub size_bytes: i64,
    /// Pixels; read from the file itself for PNG, GIF, WebP and most JPEGs.
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// Videos only.
    pub duration_ms: Option<i64>,
    pub alt_text: Option<String>,
    pub tags: Option<Vec<String>>,
    /// e.g. `campaigns/summer`.
    pub folder: Option<String>,
    /// `presigned` (default): upload straight to object storage with the URL in the answer;
    /// `stream`: PUT the bytes to this API's `media/{mediaId}/content`.
    pub method: Option<String>,
}

/// Sizes the client knows and the file may not say (a video's, a JPEG's with a huge header).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CompleteInput {
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub duration_ms: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MediaPatch {
    /// `""` clears it.
    pub alt_text: Option<String>,
    /// Replaces every tag.
    pub tags: Option<Vec<String>>,
    /// `""` moves the asset to the root.
    pub folder: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MediaView {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub duration_ms: Option<i64>,
    pub alt_text: Option<String>,
    pub tags: Vec<String>,
    pub folder: Option<String>,
    /// `pending` until the file is stored and checked, then `ready`.
    pub status: String,
    pub uploaded_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// A presigned GET of the file, valid for an hour, when the server can presign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
}

/// How to send the file.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadInstructions {
    /// Always `PUT`.
    pub method: String,
    /// The presigned URL of the object, or this API's content route (which also needs the
    /// caller's `Authorization` header).
    pub url: String,
    /// Headers the upload must carry, exactly: the presigned URL signs them.
    pub headers: BTreeMap<String, String>,
    /// When a presigned URL stops working.
    pub expires_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadCreated {
    pub asset: MediaView,
    pub upload: UploadInstructions,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MediaPage {
    pub items: Vec<MediaView>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UsageTarget {
    pub target_id: String,
    pub platform: String,
    /// The asset's place among the target's media, from 0.
    pub position: i64,
}

/// A post whose targets use the asset.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MediaUsage {
    pub post_id: String,
    pub title: String,
    pub status: String,
    pub targets: Vec<UsageTarget>,
}

/// What the media parsers check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("UploadInput", "filename", Rule::Pattern(FILE_NAME_PATTERN, 255)),
    field("UploadInput", "contentType", Rule::OneOf(&CONTENT_TYPES)),
    field("UploadInput", "sizeBytes", Rule::Range(1, VIDEO_MAX_BYTES)),
    field("UploadInput", "width", PIXELS),
    field("UploadInput", "height", PIXELS),
    field("UploadInput", "durationMs", DURATION),
    field("UploadInput", "altText", Rule::Text(1000)),
    field("UploadInput", "tags", Rule::Items(0, 30, &Rule::Line(100))),
    field("UploadInput", "folder", Rule::Pattern(FOLDER_PATTERN, 200)),
    field("UploadInput", "method", Rule::OneOf(&["presigned", "stream"])),
    field("CompleteInput", "width", PIXELS),
    field("CompleteInput", "height", PIXELS),
    field("CompleteInput", "durationMs", DURATION),
    field("MediaPatch", "altText", Rule::Text(1000)),
    field("MediaPatch", "tags", Rule::Items(0, 30, &Rule::Line(100))),
    field("MediaPatch", "folder", Rule::Pattern(FOLDER_PATTERN, 200)),
    query("listMedia", "folder", Rule::Pattern(FOLDER_PATTERN, 200)),
    query(
        "listMedia",
        "type",
        Rule::OneOf(&[
            "",
            "image",
            "video",
            "image/jpeg",
            "image/png",
            "image/gif",
            "image/webp",
            "video/mp4",
            "video/quicktime",
        ]),
    ),
    query("listMedia", "status", Rule::OneOf(&["", "pending", "ready"])),
];

const PIXELS: Rule = Rule::Range(1, MAX_PIXELS);
const DURATION: Rule = Rule::Range(1, MAX_DURATION_MS);

const CONTENT_TYPES: [&str; 6] = ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime"];

/// A bare file name: no slash, not only dots or spaces, no control character.
const FILE_NAME_PATTERN: &str =
    r"^[^/\\\u0000-\u001F\u007F-\u009F]*[^\s./\\\u0000-\u001F\u007F-\u009F][^/\\\u0000-\u001F\u007F-\u009F]*$";

/// Empty (the root), or segments of 1 to 100 characters, none `.` or `..`, between slashes.
const FOLDER_PATTERN: &str = r"^/*([^/\u0000-\u001F\u007F-\u009F]*[^\s./\u0000-\u001F\u007F-\u009F][^/\u0000-\u001F\u007F-\u009F]*/)*([^/\u0000-\u001F\u007F-\u009F]*[^\s./\u0000-\u001F\u007F-\u009F][^/\u0000-\u001F\u007F-\u009F]*)?/*$";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_an_allow_list_with_limits() {
        assert_eq!(parse_type(" Image/PNG; q=1").unwrap().extension, "png");
        let err = parse_type("image/svg+xml").unwrap_err();
        assert!(err.contains("image/svg+xml") && err.contains("video/quicktime"), "{err}");
        let png = media_type("image/png");
        assert!(parse_size(IMAGE_MAX_BYTES, png).is_ok());
        assert!(parse_size(IMAGE_MAX_BYTES + 1, png).unwrap_err().contains("20 MiB"));
        assert!(parse_size(IMAGE_MAX_BYTES + 1, media_type("video/mp4")).is_ok());
        assert!(parse_size(VIDEO_MAX_BYTES + 1, media_type("video/mp4")).unwrap_err().contains("videos"));
        assert!(parse_size(0, png).is_err());
    }

    #[test]
    fn names_folders_and_tags_are_cleaned() {
        assert_eq!(parse_filename("C:\\Users\\me\\cat.png").unwrap(), "cat.png");
        assert_eq!(parse_filename("../../etc/passwd").unwrap(), "passwd");
        assert!(parse_filename("a/").is_err());
        assert!(parse_filename("a\nb.png").is_err());
        assert_eq!(parse_folder("/campaigns/ summer /").unwrap().as_deref(), Some("campaigns/summer"));
        assert_eq!(parse_folder("  ").unwrap(), None);
        assert!(parse_folder("a//b").is_err());
        assert!(parse_folder("a/../b").is_err());
        assert_eq!(parse_tags(vec!["Launch".into(), "launch".into(), " Q3 ".into()]).unwrap(), vec!["launch", "q3"]);
        assert!(parse_tags(vec!["".into()]).is_err());
    }
}
