//! What each social platform accepts in one post, and the check of a target's text and media
//! against it (SPEC CT-3). The table is data; text is counted the way each platform counts it
//! (graphemes, twitter-text weights, UTF-8 bytes of emoji …); every violation is reported at once,
//! so an editor fixes a draft in one pass instead of learning the rules one rejection at a time.

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;
use utoipa::ToSchema;

use crate::error::FieldError;

/// A social network Herald publishes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    X,
    LinkedIn,
    Facebook,
    Instagram,
    Threads,
    TikTok,
    Bluesky,
    Mastodon,
}

impl Platform {
    pub const ALL: [Platform; 8] = [
        Platform::X,
        Platform::LinkedIn,
        Platform::Facebook,
        Platform::Instagram,
        Platform::Threads,
        Platform::TikTok,
        Platform::Bluesky,
        Platform::Mastodon,
    ];

    /// The wire name, identical to the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::X => "x",
            Platform::LinkedIn => "linkedin",
            Platform::Facebook => "facebook",
            Platform::Instagram => "instagram",
            Platform::Threads => "threads",
            Platform::TikTok => "tiktok",
            Platform::Bluesky => "bluesky",
            Platform::Mastodon => "mastodon",
        }
    }

    /// Accepts exactly the wire names, so a path segment and a JSON body agree on what is valid.
    pub fn parse(name: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a platform measures the length of a post's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Extended grapheme clusters (UAX #29): what a reader sees as one character.
    Graphemes,
    /// twitter-text v3: code points in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and
    /// U+2032–U+2037 weigh 1, every other code point 2; a whole emoji sequence weighs 2; every
    /// http(s) URL weighs 23.
    XWeighted,
    /// Threads: Unicode scalar values, except that an emoji counts as its UTF-8 bytes.
    CharsEmojiAsUtf8Bytes,
    /// UTF-16 code units, the unit JavaScript's `length` reports: a conservative count where a
    /// platform says "characters" without defining them (it never counts fewer than they do).
    Utf16,
    /// Mastodon: grapheme clusters after each http(s) URL becomes 23 characters and each
    /// `@user@domain` mention becomes `@user`.
    Mastodon,
}

impl Counting {
    /// The unit named in error messages.
    pub fn unit(self) -> &'static str {
        match self {
            Counting::Graphemes => "graphemes",
            Counting::XWeighted => "weighted characters",
            Counting::CharsEmojiAsUtf8Bytes => "characters (emoji count their UTF-8 bytes)",
            Counting::Utf16 => "UTF-16 code units",
            Counting::Mastodon => "characters",
        }
    }
}

/// What one post on a platform may carry. Sizes the documentation gives in "MB" are taken as
/// 1,000,000 bytes, the smaller reading, so a file we accept is never refused for its size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capabilities {
    /// Longest text, in the unit of `counting`.
    pub max_text: usize,
    pub counting: Counting,
    /// A second cap on the text's UTF-8 length, where the platform has one.
    pub max_text_bytes: Option<usize>,
    /// Most distinct links the text may hold, where the platform caps them.
    pub max_links: Option<usize>,
    /// Most media items in one post.
    pub max_media: usize,
    /// Most videos in one post (an animated GIF counts as one where `gif_counts_as_video`).
    pub max_videos: usize,
    /// Whether images and videos may share a post.
    pub mixed_media: bool,
    /// Whether a post needs at least one media item.
    pub requires_media: bool,
    /// Accepted MIME types, lower-case.
    pub media_types: &'static [&'static str],
    pub max_image_bytes: u64,
    /// Largest `image/gif`; equal to `max_image_bytes` where GIFs are plain images.
    pub max_gif_bytes: u64,
    /// X posts an animated GIF like a video: alone, one per post.
    pub gif_counts_as_video: bool,
    pub max_video_bytes: u64,
    pub max_video_seconds: Option<u32>,
    /// Allowed width ÷ height of an image, inclusive, where the platform refuses other shapes.
    pub image_aspect_ratio: Option<(f64, f64)>,
}

/// One media item attached to a target, as the media library describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MediaInfo {
    pub mime: String,
    pub bytes: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_seconds: Option<f64>,
}

const MB: u64 = 1_000_000;
const GB: u64 = 1_000_000_000;

// X: text weights from twitter-text's config/v3.json
// (https://github.com/twitter/twitter-text/blob/master/config/v3.json: maxWeightedTweetLength 280,
// defaultWeight 200, the four ranges at 100, transformedURLLength 23, emojiParsingEnabled).
// Media from https://docs.x.com/x-api/media/quickstart/best-practices: "up to 4 photos, 1 animated
// GIF or 1 video in a Post"; JPG, PNG, GIF, WEBP; image 5 MB, animated GIF 15 MB; post video
// 0.5 s–20 minutes and 8 GB for accounts without Premium.
static X: Capabilities = Capabilities {
    max_text: 280,
    counting: Counting::XWeighted,
    max_text_bytes: None,
    max_links: None,
    max_media: 4,
    max_videos: 1,
    mixed_media: false,
    requires_media: false,
    media_types: &["image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4", "video/quicktime"],
    max_image_bytes: 5 * MB,
    max_gif_bytes: 15 * MB,
    gif_counts_as_video: true,
    max_video_bytes: 8 * GB,
    max_video_seconds: Some(20 * 60),
    image_aspect_ratio: None,
};

// LinkedIn: 3,000 characters of commentary (https://ayrshare.com/integration/linkedin; LinkedIn
// does not define its "character", hence UTF-16). MultiImage posts hold 2 to 20 images
// (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/multiimage-post-api);
// one video per post. Image 5 MB, JPG/PNG/GIF; video MP4, 500 MB, 3 s–30 min
// (https://www.ayrshare.com/docs/media-guidelines/linkedin; LinkedIn's own docs cap pixels, not bytes).
static LINKEDIN: Capabilities = Capabilities {
    max_text: 3_000,
    counting: Counting::Utf16,
    max_text_bytes: None,
    max_links: None,
    max_media: 20,
    max_videos: 1,
    mixed_media: false,
    requires_media: false,
    media_types: &["image/jpeg", "image/png", "image/gif", "video/mp4"],
    max_image_bytes: 5 * MB,
    max_gif_bytes: 5 * MB,
    gif_counts_as_video: false,
    max_video_bytes: 500 * MB,
    max_video_seconds: Some(30 * 60),
    image_aspect_ratio: None,
};

// Facebook Pages: 63,206 characters (https://docs.upload-post.com/resources/character-limits/).
// Photos JPEG/BMP/PNG/GIF/TIFF up to 4 MB as the Graph API Page Photos reference
// (https://developers.facebook.com/docs/graph-api/reference/page/photos) has long stated; the copy
// checked did not show the figure and aggregators say 10 MB, so we keep the smaller. Up to 10
// photos or one video per post
// (https://docs.getlate.dev/resources/media-guidelines/facebook); video MP4/MOV/AVI, 10 GB, 4 hours
// (https://www.ayrshare.com/docs/media-guidelines/facebook-pages).
static FACEBOOK: Capabilities = Capabilities {
    max_text: 63_206,
    counting: Counting::Utf16,
    max_text_bytes: None,
    max_links: None,
    max_media: 10,
    max_videos: 1,
    mixed_media: false,
    requires_media: false,
    media_types: &[
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/bmp",
        "image/tiff",
        "video/mp4",
        "video/quicktime",
        "video/x-msvideo",
    ],
    max_image_bytes: 4 * MB,
    max_gif_bytes: 4 * MB,
    gif_counts_as_video: false,
    max_video_bytes: 10 * GB,
    max_video_seconds: Some(4 * 60 * 60),
    image_aspect_ratio: None,
};

// Instagram (Content Publishing API, https://developers.facebook.com/docs/instagram-platform/content-publishing/):
// a post is one image, one reel or a carousel of up to 10 images and videos, so media is required;
// caption 2,200 characters (https://ayrshare.com/apis/post/social-networks/instagram). Images
// JPEG only, as the IG User Media reference states (aggregators that take PNG convert it), 8 MB,
// aspect ratio 4:5 to 1.91:1; reels MOV/MP4, 300 MB, up to 15 minutes
// (https://www.ayrshare.com/docs/media-guidelines/instagram.md).
static INSTAGRAM: Capabilities = Capabilities {
    max_text: 2_200,
    counting: Counting::Utf16,
    max_text_bytes: None,
    max_links: None,
    max_media: 10,
    max_videos: 10,
    mixed_media: true,
    requires_media: true,
    media_types: &["image/jpeg", "video/mp4", "video/quicktime"],
    max_image_bytes: 8 * MB,
    max_gif_bytes: 8 * MB,
    gif_counts_as_video: false,
    max_video_bytes: 300 * MB,
    max_video_seconds: Some(15 * 60),
    image_aspect_ratio: Some((0.8, 1.91)),
};

// Threads (https://developers.facebook.com/documentation/threads/posts): "Text posts are limited
// to 500 characters. Emojis are counted as the number of UTF-8 bytes." More than 5 links fail
// with THREADS_API__LINK_LIMIT_EXCEEDED
// (https://developers.facebook.com/documentation/threads/create-posts/text-attachments).
// Carousels of up to 20 images and videos (https://www.ayrshare.com/apis/post/social-networks/threads);
// images JPEG/PNG 8 MB, video MOV/MP4 1 GB, 5 minutes (https://ayrshare.com/docs/media-guidelines/threads).
static THREADS: Capabilities = Capabilities {
    max_text: 500,
    counting: Counting::CharsEmojiAsUtf8Bytes,
    max_text_bytes: None,
    max_links: Some(5),
    max_media: 20,
    max_videos: 20,
    mixed_media: true,
    requires_media: false,
    media_types: &["image/jpeg", "image/png", "video/mp4", "video/quicktime"],
    max_image_bytes: 8 * MB,
    max_gif_bytes: 8 * MB,
    gif_counts_as_video: false,
    max_video_bytes: GB,
    max_video_seconds: Some(5 * 60),
    image_aspect_ratio: None,
};

// TikTok (Content Posting API, https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
// and .../content-posting-api-media-transfer-guide): a video post is one video, MP4/WebM/MOV, up to
// 4 GB and 10 minutes (https://help.blotato.com/platforms/tiktok/supported-posts-and-media; the
// creator's own cap, from creator_info, may be lower); the caption is 2,200 UTF-16 runes. A photo
// post (media_type PHOTO, .../content-posting-api-reference-photo-post) is 1 to 35 JPEG or WebP
// images pulled from URLs, each up to 20 MB; photos and a video do not mix.
static TIKTOK: Capabilities = Capabilities {
    max_text: 2_200,
    counting: Counting::Utf16,
    max_text_bytes: None,
    max_links: None,
    max_media: 35,
    max_videos: 1,
    mixed_media: false,
    requires_media: true,
    media_types: &["video/mp4", "video/webm", "video/quicktime", "image/jpeg", "image/webp"],
    max_image_bytes: 20 * MB,
    max_gif_bytes: 0,
    gif_counts_as_video: false,
    max_video_bytes: 4 * GB,
    max_video_seconds: Some(10 * 60),
    image_aspect_ratio: None,
};

// Bluesky: app.bsky.feed.post text has maxGraphemes 300 and maxLength 3000 (UTF-8 bytes)
// (https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/feed/post.json).
// app.bsky.embed.images holds up to 4 images (lexicons/app/bsky/embed/images.json), each
// ≤ 2,000,000 bytes since the 2026 raise (bluesky-social/bsky-docs#414). One video per post,
// never beside images (the embed is one union member); the composer takes MP4/MPEG/WebM/MOV of
// up to 100 MB and 3 minutes (bluesky-social/social-app#7916), which the lexicon's newer 300 MB
// and the feature-gated 10 minutes exceed, so the smaller figures hold for every account.
static BLUESKY: Capabilities = Capabilities {
    max_text: 300,
    counting: Counting::Graphemes,
    max_text_bytes: Some(3_000),
    max_links: None,
    max_media: 4,
    max_videos: 1,
    mixed_media: false,
    requires_media: false,
    media_types: &[
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "video/mp4",
        "video/mpeg",
        "video/webm",
        "video/quicktime",
    ],
    max_image_bytes: 2_000_000,
    max_gif_bytes: 2_000_000,
    gif_counts_as_video: false,
    max_video_bytes: 100 * MB,
    max_video_seconds: Some(3 * 60),
    image_aspect_ratio: None,
};

// Mastodon (defaults of a stock server): StatusLengthValidator counts grapheme clusters of the
// text after URLs become 23 characters and `@user@domain` becomes `@user`, against 500
// (app/validators/status_length_validator.rb). Up to 4 attachments, a video only alone; images
// 16 MiB and video 99 MiB (mastodon.social's /api/v2/instance: image_size_limit 16777216,
// video_size_limit 103809024); types from https://docs.joinmastodon.org/user/posting/#media.
static MASTODON: Capabilities = Capabilities {
    max_text: 500,
    counting: Counting::Mastodon,
    max_text_bytes: None,
    max_links: None,
    max_media: 4,
    max_videos: 1,
    mixed_media: false,
    requires_media: false,
    media_types: &[
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/heif",
        "image/avif",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/x-m4v",
    ],
    max_image_bytes: 16_777_216,
    max_gif_bytes: 16_777_216,
    gif_counts_as_video: false,
    max_video_bytes: 103_809_024,
    max_video_seconds: None,
    image_aspect_ratio: None,
};

/// The platform's row of the capability table.
pub fn capabilities(platform: Platform) -> &'static Capabilities {
    match platform {
        Platform::X => &X,
        Platform::LinkedIn => &LINKEDIN,
        Platform::Facebook => &FACEBOOK,
        Platform::Instagram => &INSTAGRAM,
        Platform::Threads => &THREADS,
        Platform::TikTok => &TIKTOK,
        Platform::Bluesky => &BLUESKY,
        Platform::Mastodon => &MASTODON,
    }
}

/// The length of `text` in the unit `counting` names.
pub fn count(counting: Counting, text: &str) -> usize {
    match counting {
        Counting::Graphemes => text.graphemes(true).count(),
        Counting::XWeighted => x_weighted_length(text),
        Counting::CharsEmojiAsUtf8Bytes => {
            text.graphemes(true).map(|g| if is_emoji_cluster(g) { g.len() } else { g.chars().count() }).sum()
        }
        Counting::Utf16 => text.encode_utf16().count(),
        Counting::Mastodon => mastodon_countable_text(text).graphemes(true).count(),
    }
}

/// Every way `text` and `media` break `platform`'s rules, each on the field it concerns
/// (`text`, `media`, `media[i]`); empty when the target can be published as it is.
pub fn validate_target(platform: Platform, text: &str, media: &[MediaInfo]) -> Vec<FieldError> {
    let caps = capabilities(platform);
    let mut errors = Vec::new();

    let length = count(caps.counting, text);
    if length > caps.max_text {
        errors.push(FieldError::new(
            "text",
            format!("is {length} {}; {platform} allows {}", caps.counting.unit(), caps.max_text),
        ));
    }
    if let Some(max_bytes) = caps.max_text_bytes {
        if text.len() > max_bytes {
            errors
                .push(FieldError::new("text", format!("is {} UTF-8 bytes; {platform} allows {max_bytes}", text.len())));
        }
    }
    if let Some(max_links) = caps.max_links {
        let mut links: Vec<&str> = find_urls(text).into_iter().map(|r| &text[r]).collect();
        links.sort_unstable();
        links.dedup();
        if links.len() > max_links {
            errors.push(FieldError::new("text", format!("has {} links; {platform} allows {max_links}", links.len())));
        }
    }
    if text.trim().is_empty() && media.is_empty() && !caps.requires_media {
        errors.push(FieldError::new(
            "text",
            format!("is empty and there is no media; {platform} needs one or the other"),
        ));
    }

    let kinds: Vec<Kind> = media.iter().map(|m| Kind::of(&normalize_mime(&m.mime))).collect();
    let videos = kinds.iter().filter(|k| k.is_timed(caps)).count();
    let images = kinds.iter().filter(|k| matches!(k, Kind::Image | Kind::Gif) && !k.is_timed(caps)).count();
    let video_noun = if caps.gif_counts_as_video { "videos or animated GIFs" } else { "videos" };

    if caps.requires_media && media.is_empty() {
        let wanted = if caps.media_types.iter().any(|t| t.starts_with("image/")) {
            "at least one image or video"
        } else {
            "a video"
        };
        errors.push(FieldError::new("media", format!("is required: {platform} posts need {wanted}")));
    }
    if media.len() > caps.max_media {
        errors.push(FieldError::new(
            "media",
            format!("has {} items; {platform} allows at most {}", media.len(), caps.max_media),
        ));
    }
    if videos > caps.max_videos {
        errors.push(FieldError::new(
            "media",
            format!("has {videos} {video_noun}; {platform} allows {}", caps.max_videos),
        ));
    }
    if !caps.mixed_media && images > 0 && videos > 0 {
        errors.push(FieldError::new(
            "media",
            format!("mixes images with {video_noun}; {platform} allows one kind per post"),
        ));
    }

    for (i, (item, kind)) in media.iter().zip(&kinds).enumerate() {
        let field = format!("media[{i}]");
        let mime = normalize_mime(&item.mime);
        if !caps.media_types.contains(&mime.as_str()) {
            errors.push(FieldError::new(
                field,
                format!("type {mime} is not accepted by {platform} (accepted: {})", caps.media_types.join(", ")),
            ));
            // Size and length limits are per accepted kind; for a refused type they mean nothing.
            continue;
        }
        let (max_bytes, noun) = match kind {
            Kind::Image => (caps.max_image_bytes, "images"),
            Kind::Gif => (caps.max_gif_bytes, "GIFs"),
            // `Other` never gets here: no row accepts a type that is neither image nor video.
            Kind::Video | Kind::Other => (caps.max_video_bytes, "videos"),
        };
        if item.bytes > max_bytes {
            errors.push(FieldError::new(
                field.clone(),
                format!("is {} bytes; {platform} allows {noun} up to {max_bytes} bytes", item.bytes),
            ));
        }
        if *kind == Kind::Video {
            if let (Some(seconds), Some(max_seconds)) = (item.duration_seconds, caps.max_video_seconds) {
                if seconds > f64::from(max_seconds) {
                    errors.push(FieldError::new(
                        field.clone(),
                        format!("is {seconds} seconds long; {platform} allows videos up to {max_seconds} seconds"),
                    ));
                }
            }
        }
        if *kind == Kind::Image {
            if let (Some((min, max)), Some(w), Some(h)) = (caps.image_aspect_ratio, item.width, item.height) {
                let ratio = f64::from(w) / f64::from(h.max(1));
                // A pixel of rounding (1080×566 for 1.91:1) must not refuse an image that is on the limit.
                if ratio < min - ASPECT_TOLERANCE || ratio > max + ASPECT_TOLERANCE {
                    errors.push(FieldError::new(
                        field,
                        format!("is {w}×{h} (width ÷ height {ratio:.2}); {platform} allows images from {min} to {max}"),
                    ));
                }
            }
        }
    }
    errors
}

const ASPECT_TOLERANCE: f64 = 0.01;

/// What a media item is, by its MIME type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Image,
    Gif,
    Video,
    Other,
}

impl Kind {
    fn of(mime: &str) -> Kind {
        if mime == "image/gif" {
            Kind::Gif
        } else if mime.starts_with("image/") {
            Kind::Image
        } else if mime.starts_with("video/") {
            Kind::Video
        } else {
            Kind::Other
        }
    }

    /// Whether the item takes the post's video slot.
    fn is_timed(self, caps: &Capabilities) -> bool {
        self == Kind::Video || (self == Kind::Gif && caps.gif_counts_as_video)
    }
}

/// `Image/JPEG; charset=binary` and the common misspelling `image/jpg` compare as `image/jpeg`.
fn normalize_mime(mime: &str) -> String {
    let essence = mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence == "image/jpg" {
        "image/jpeg".to_owned()
    } else {
        essence
    }
}

// --- counting -------------------------------------------------------------------------------

/// twitter-text's transformedURLLength: every link becomes a t.co link of this length.
const X_URL_WEIGHT: usize = 23;
/// Mastodon's StatusLengthValidator::URL_PLACEHOLDER_CHARS.
const MASTODON_URL_CHARS: usize = 23;

fn x_weighted_length(text: &str) -> usize {
    let mut total = 0;
    let mut plain_start = 0;
    for url in find_urls(text) {
        total += x_weigh_plain(&text[plain_start..url.start]) + X_URL_WEIGHT;
        plain_start = url.end;
    }
    total + x_weigh_plain(&text[plain_start..])
}

fn x_weigh_plain(text: &str) -> usize {
    text.graphemes(true)
        .map(|g| {
            // twitter-text matches whole emoji sequences (ZWJ families, skin tones, flags, keycaps)
            // and gives each the default weight once, however many code points it holds.
            if is_emoji_cluster(g) {
                2
            } else {
                g.chars().map(x_char_weight).sum()
            }
        })
        .sum()
}

fn x_char_weight(c: char) -> usize {
    match u32::from(c) {
        0x0000..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037 => 1,
        _ => 2,
    }
}

/// Whether a grapheme cluster is an emoji: it starts with a code point that is an emoji by
/// default, or it asks for emoji presentation (U+FE0F) or is a keycap (U+20E3). Symbols that are
/// text by default (©, ↔, ☺) stay text unless followed by U+FE0F, as in twitter-text's emoji regex.
fn is_emoji_cluster(cluster: &str) -> bool {
    let starts_as_emoji = cluster.chars().next().is_some_and(is_emoji_presentation);
    starts_as_emoji || cluster.chars().any(|c| c == '\u{FE0F}' || c == '\u{20E3}')
}

/// Code points with Emoji_Presentation=Yes (Unicode emoji-data), with the supplementary
/// pictograph blocks taken whole: a few text-default symbols there count as emoji, which only
/// ever makes a count larger.
fn is_emoji_presentation(c: char) -> bool {
    matches!(
        u32::from(c),
        0x231A..=0x231B
            | 0x23E9..=0x23EC
            | 0x23F0
            | 0x23F3
            | 0x25FD..=0x25FE
            | 0x2614..=0x2615
            | 0x2648..=0x2653
            | 0x267F
            | 0x2693
            | 0x26A1
            | 0x26AA..=0x26AB
            | 0x26BD..=0x26BE
            | 0x26C4..=0x26C5
            | 0x26CE
            | 0x26D4
            | 0x26EA
            | 0x26F2..=0x26F3
            | 0x26F5
            | 0x26FA
            | 0x26FD
            | 0x2705
            | 0x270A..=0x270B
            | 0x2728
            | 0x274C
            | 0x274E
            | 0x2753..=0x2755
            | 0x2757
            | 0x2795..=0x2797
            | 0x27B0
            | 0x27BF
            | 0x2B1B..=0x2B1C
            | 0x2B50
            | 0x2B55
            | 0x1F004
            | 0x1F0CF
            | 0x1F18E
            | 0x1F191..=0x1F19A
            | 0x1F1E6..=0x1F1FF
            | 0x1F201..=0x1F251
            | 0x1F300..=0x1F6FF
            | 0x1F7E0..=0x1F7FF
            | 0x1F900..=0x1FAFF
    )
}

/// The text Mastodon measures: URLs replaced by 23 characters, remote mentions cut to `@user`.
fn mastodon_countable_text(text: &str) -> String {
    let mut urls = find_urls(text).into_iter().peekable();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        // An entity overlapping one already taken is dropped, as Extractor.remove_overlapping_entities
        // does: a URL that starts inside a mention's domain is just text.
        while urls.next_if(|u| u.start < i).is_some() {}
        if let Some(url) = urls.next_if(|u| u.start == i) {
            out.extend(std::iter::repeat_n('x', MASTODON_URL_CHARS));
            i = url.end;
            continue;
        }
        // A mention never starts inside a URL: `i` jumps over each URL above.
        if let Some(mention) = mention_at(text, i) {
            out.push('@');
            out.push_str(&text[mention.username]);
            i = mention.end;
            continue;
        }
        let Some(c) = text[i..].chars().next() else { break };
        out.push(c);
        i += c.len_utf8();
    }
    out
}

struct Mention {
    username: Range<usize>,
    end: usize,
}

/// A Mastodon mention at byte `at` (Account::MENTION_RE): `@` not after a word character, `=` or
/// `/`; a username of ASCII letters, digits and `_`, with `.` or `-` only between them; then
/// optionally `@` and a domain of word characters with `.` or `-` between them.
fn mention_at(text: &str, at: usize) -> Option<Mention> {
    let rest = &text[at..];
    if !rest.starts_with('@') {
        return None;
    }
    if let Some(before) = text[..at].chars().next_back() {
        if before.is_alphanumeric() || matches!(before, '_' | '=' | '/') {
            return None;
        }
    }
    let is_user_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let user_start = at + 1;
    let user_end = user_start + dotted_run(&text[user_start..], is_user_char);
    if user_end == user_start {
        return None;
    }
    let mut end = user_end;
    if text[user_end..].starts_with('@') {
        let domain_start = user_end + 1;
        let domain_len = dotted_run(&text[domain_start..], |c: char| c.is_alphanumeric() || c == '_');
        if domain_len > 0 {
            end = domain_start + domain_len;
        }
    }
    Some(Mention { username: user_start..user_end, end })
}

/// Length in bytes of the longest prefix made of `word` characters, with runs of `.` or `-`
/// allowed only between them (so a sentence's full stop is not taken into a name).
fn dotted_run(s: &str, word: impl Fn(char) -> bool) -> usize {
    let mut end = 0;
    let mut chars = s.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if word(c) {
            chars.next();
            end = i + c.len_utf8();
        } else if (c == '.' || c == '-') && end > 0 {
            // Look past the separator run: keep it only if a word character follows.
            let mut lookahead = chars.clone();
            while lookahead.next_if(|&(_, c)| c == '.' || c == '-').is_some() {}
            match lookahead.peek() {
                Some(&(_, next)) if word(next) => chars = lookahead,
                _ => break,
            }
        } else {
            break;
        }
    }
    end
}

/// Byte ranges of the http(s) URLs in `text`, the way twitter-text and Mastodon delimit them
/// closely enough for counting: a scheme not glued to a preceding word, a host with a dot, and
/// the run of URL characters after it less trailing sentence punctuation. Bare domains
/// (`example.com`), which twitter-text also counts as 23, are not recognised: that needs its list
/// of top-level domains.
fn find_urls(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut urls = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let scheme_len = if bytes[i..].len() >= 8 && bytes[i..i + 8].eq_ignore_ascii_case(b"https://") {
            8
        } else if bytes[i..].len() >= 7 && bytes[i..i + 7].eq_ignore_ascii_case(b"http://") {
            7
        } else {
            0
        };
        // The scheme is ASCII, so `i` and `i + scheme_len` are on character boundaries.
        if scheme_len > 0 && !glued_to_word(text, i) {
            let body_start = i + scheme_len;
            let end = url_end(text, body_start);
            if has_host(&text[body_start..end]) {
                urls.push(i..end);
                i = end;
                continue;
            }
        }
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    urls
}

fn glued_to_word(text: &str, at: usize) -> bool {
    text[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || matches!(c, '@' | '$' | '#' | '/'))
}

/// End of the URL whose body starts at `start`: URL characters are ASCII punctuation and
/// alphanumerics plus letters of alphabetic scripts (accented Latin, Cyrillic in paths); CJK and
/// other wide text ends it, as in twitter-text.
fn url_end(text: &str, start: usize) -> usize {
    let mut end = start;
    for (i, c) in text[start..].char_indices() {
        let url_char = (c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"'))
            || (!c.is_ascii() && c.is_alphanumeric() && u32::from(c) < 0x2E80);
        if !url_char {
            break;
        }
        end = start + i + c.len_utf8();
    }
    // Sentence punctuation after a link is not part of it; a closing bracket is, when it closes
    // one the URL opened (Wikipedia-style paths).
    loop {
        let url = &text[start..end];
        let Some(last) = url.chars().next_back() else { break };
        let unbalanced =
            |open: char, close: char| last == close && url.matches(open).count() < url.matches(close).count();
        if matches!(last, '.' | ',' | ':' | ';' | '!' | '?' | '\'' | '*')
            || unbalanced('(', ')')
            || unbalanced('[', ']')
        {
            end -= last.len_utf8();
        } else {
            break;
        }
    }
    end
}

/// Whether a URL body starts with something that can be a host name: twitter-text wants a
/// top-level domain, approximated here by an inner dot.
fn has_host(body: &str) -> bool {
    let authority = body.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    host.contains('.') && !host.starts_with('.') && !host.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAMILY: &str = "👨\u{200D}👩\u{200D}👧\u{200D}👦";

    fn image(mime: &str, bytes: u64) -> MediaInfo {
        MediaInfo { mime: mime.to_owned(), bytes, width: None, height: None, duration_seconds: None }
    }

    fn video(bytes: u64, seconds: f64) -> MediaInfo {
        MediaInfo {
            mime: "video/mp4".to_owned(),
            bytes,
            width: Some(1080),
            height: Some(1920),
            duration_seconds: Some(seconds),
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    /// 300 graphemes mixing a ZWJ family, CJK, emoji and Latin, in 824 bytes.
    fn bluesky_300() -> String {
        let text = format!("{FAMILY}{}語😀", "語😀a".repeat(99));
        assert_eq!(text.graphemes(true).count(), 300);
        text
    }

    #[test]
    fn bluesky_accepts_300_graphemes_with_emoji_and_cjk() {
        assert_eq!(validate_target(Platform::Bluesky, &bluesky_300(), &[]), vec![]);
    }

    #[test]
    fn bluesky_rejects_301_graphemes_on_text() {
        let text = format!("{}!", bluesky_300());
        assert_eq!(
            validate_target(Platform::Bluesky, &text, &[]),
            vec![FieldError::new("text", "is 301 graphemes; bluesky allows 300")]
        );
    }

    #[test]
    fn bluesky_rejects_text_over_3000_bytes_even_within_300_graphemes() {
        let text = FAMILY.repeat(121); // 121 graphemes, 3,025 bytes
        assert_eq!(
            validate_target(Platform::Bluesky, &text, &[]),
            vec![FieldError::new("text", "is 3025 UTF-8 bytes; bluesky allows 3000")]
        );
    }

    #[test]
    fn family_emoji_is_one_grapheme_on_bluesky_and_weighs_two_on_x() {
        assert_eq!(count(Counting::Graphemes, FAMILY), 1);
        assert_eq!(count(Counting::XWeighted, FAMILY), 2);
    }

    #[test]
    fn x_accepts_140_cjk_characters_and_rejects_141() {
        assert_eq!(count(Counting::XWeighted, &"語".repeat(140)), 280);
        assert_eq!(validate_target(Platform::X, &"語".repeat(140), &[]), vec![]);
        assert_eq!(
            validate_target(Platform::X, &"語".repeat(141), &[]),
            vec![FieldError::new("text", "is 282 weighted characters; x allows 280")]
        );
    }

    #[test]
    fn x_rejects_281_weighted_characters_on_text() {
        let errors = validate_target(Platform::X, &"a".repeat(281), &[]);
        assert_eq!(errors, vec![FieldError::new("text", "is 281 weighted characters; x allows 280")]);
    }

    #[test]
    fn long_url_counts_23_on_x_and_mastodon() {
        let url = format!("https://example.com/{}", "a".repeat(200));
        assert_eq!(count(Counting::XWeighted, &url), 23);
        assert_eq!(count(Counting::Mastodon, &url), 23);
        let sentence = format!("see {url} now.");
        assert_eq!(count(Counting::XWeighted, &sentence), 4 + 23 + 5);
        assert_eq!(count(Counting::Mastodon, &sentence), 4 + 23 + 5);
    }

    #[test]
    fn sentence_punctuation_after_a_url_counts_as_text() {
        assert_eq!(count(Counting::XWeighted, "(https://example.com/a)."), 1 + 23 + 2);
        assert_eq!(count(Counting::XWeighted, "https://en.wikipedia.org/wiki/Rust_(language)"), 23);
        // Not a URL without a host name, nor when glued to a word.
        assert_eq!(count(Counting::XWeighted, "http://localhost"), 16);
        assert_eq!(count(Counting::XWeighted, "xhttps://example.com"), 20);
    }

    #[test]
    fn x_weights_match_twitter_text_conformance() {
        // WeightedTweetsWithDiscountedEmojiCounterTest in twitter-text's conformance/validate.yml.
        assert_eq!(count(Counting::XWeighted, "H🐱☺👨\u{200D}👩\u{200D}👧\u{200D}👦"), 7);
        assert_eq!(count(Counting::XWeighted, "😷👾😡🔥💩"), 10);
        assert_eq!(count(Counting::XWeighted, "🙋🏽👨\u{200D}🎤"), 4);
        assert_eq!(count(Counting::XWeighted, "Hi http://test.co"), 26);
        assert_eq!(count(Counting::XWeighted, "\u{2018}quotes\u{2019} \u{2014} dash"), 15);
    }

    #[test]
    fn mastodon_counts_only_the_username_of_a_remote_mention() {
        assert_eq!(count(Counting::Mastodon, "hi @alice@example.social!"), "hi @alice!".len());
        assert_eq!(count(Counting::Mastodon, "mail bob@example.com"), 20);
        assert_eq!(count(Counting::Mastodon, "@a.b@mastodon.social."), "@a.b.".len());
        assert_eq!(count(Counting::Mastodon, FAMILY), 1);
        // A URL that starts inside a mention's domain is plain text, and later URLs still count.
        let text = "@a@b.https://x.com https://example.com/long";
        assert_eq!(count(Counting::Mastodon, text), "@a://x.com ".len() + 23);
    }

    #[test]
    fn threads_counts_emoji_as_their_utf8_bytes() {
        assert_eq!(count(Counting::CharsEmojiAsUtf8Bytes, "ok😀"), 2 + 4);
        assert_eq!(count(Counting::CharsEmojiAsUtf8Bytes, FAMILY), 25);
        assert_eq!(count(Counting::CharsEmojiAsUtf8Bytes, "語é"), 2);
        // 124 emoji × 4 bytes + 4 letters = 500: accepted; one more letter is not.
        let text = format!("{}abcd", "😀".repeat(124));
        assert_eq!(validate_target(Platform::Threads, &text, &[]), vec![]);
        let errors = validate_target(Platform::Threads, &format!("{text}e"), &[]);
        assert_eq!(fields(&errors), vec!["text"]);
        assert!(errors[0].message.starts_with("is 501 characters"), "{}", errors[0].message);
    }

    #[test]
    fn threads_rejects_more_than_five_distinct_links() {
        let five: String = (1..=5).map(|n| format!("https://example.com/{n} ")).collect();
        assert_eq!(validate_target(Platform::Threads, &format!("{five}https://example.com/1"), &[]), vec![]);
        assert_eq!(
            validate_target(Platform::Threads, &format!("{five}https://example.com/6"), &[]),
            vec![FieldError::new("text", "has 6 links; threads allows 5")]
        );
    }

    #[test]
    fn instagram_without_media_is_rejected_on_media() {
        assert_eq!(
            validate_target(Platform::Instagram, "caption", &[]),
            vec![FieldError::new("media", "is required: instagram posts need at least one image or video")]
        );
    }

    #[test]
    fn instagram_rejects_an_image_taller_than_4_by_5() {
        let mut tall = image("image/jpeg", MB);
        (tall.width, tall.height) = (Some(1080), Some(1920));
        let mut portrait = image("image/jpeg", MB);
        (portrait.width, portrait.height) = (Some(1080), Some(1350));
        let errors = validate_target(Platform::Instagram, "", &[portrait, tall]);
        assert_eq!(fields(&errors), vec!["media[1]"]);
    }

    #[test]
    fn tiktok_takes_one_video_or_photos_but_not_both_nor_png() {
        assert_eq!(validate_target(Platform::TikTok, "caption", &[video(50 * MB, 30.0)]), vec![]);
        assert_eq!(
            validate_target(Platform::TikTok, "caption", &[image("image/jpeg", MB), image("image/jpeg", MB)]),
            vec![]
        );
        let errors = validate_target(Platform::TikTok, "caption", &[image("image/png", MB)]);
        assert_eq!(fields(&errors), vec!["media[0]"]);
        assert!(errors[0].message.starts_with("type image/png is not accepted by tiktok"));
        assert!(
            !validate_target(Platform::TikTok, "caption", &[image("image/jpeg", MB), video(50 * MB, 30.0)]).is_empty()
        );
        assert!(!validate_target(Platform::TikTok, "caption", &[image("image/jpeg", 21 * MB)]).is_empty());
        assert_eq!(fields(&validate_target(Platform::TikTok, "caption", &[])), vec!["media"]);
    }

    #[test]
    fn x_rejects_five_images() {
        let four = vec![image("image/png", MB); 4];
        assert_eq!(validate_target(Platform::X, "look", &four), vec![]);
        let five = vec![image("image/png", MB); 5];
        assert_eq!(
            validate_target(Platform::X, "look", &five),
            vec![FieldError::new("media", "has 5 items; x allows at most 4")]
        );
    }

    #[test]
    fn x_posts_an_animated_gif_alone() {
        let gif = image("image/gif", 12 * MB);
        assert_eq!(validate_target(Platform::X, "", std::slice::from_ref(&gif)), vec![]);
        let errors = validate_target(Platform::X, "", &[gif, image("image/jpeg", MB)]);
        assert_eq!(
            errors,
            vec![FieldError::new("media", "mixes images with videos or animated GIFs; x allows one kind per post")]
        );
    }

    #[test]
    fn bluesky_rejects_3_mb_image_on_media_0() {
        let errors =
            validate_target(Platform::Bluesky, "photo", &[image("image/jpeg", 3 * MB), image("image/png", MB)]);
        assert_eq!(
            errors,
            vec![FieldError::new("media[0]", "is 3000000 bytes; bluesky allows images up to 2000000 bytes")]
        );
    }

    #[test]
    fn bluesky_rejects_images_beside_a_video_and_a_video_over_3_minutes() {
        let errors = validate_target(Platform::Bluesky, "clip", &[image("image/jpeg", MB), video(10 * MB, 200.5)]);
        assert_eq!(
            errors,
            vec![
                FieldError::new("media", "mixes images with videos; bluesky allows one kind per post"),
                FieldError::new("media[1]", "is 200.5 seconds long; bluesky allows videos up to 180 seconds"),
            ]
        );
    }

    #[test]
    fn mastodon_accepts_one_video_only() {
        let errors = validate_target(Platform::Mastodon, "two clips", &[video(MB, 5.0), video(MB, 5.0)]);
        assert_eq!(errors, vec![FieldError::new("media", "has 2 videos; mastodon allows 1")]);
    }

    #[test]
    fn an_empty_post_is_rejected_on_text() {
        assert_eq!(
            validate_target(Platform::LinkedIn, "  ", &[]),
            vec![FieldError::new("text", "is empty and there is no media; linkedin needs one or the other")]
        );
        assert_eq!(validate_target(Platform::LinkedIn, "", &[image("image/png", MB)]), vec![]);
    }

    #[test]
    fn mime_types_compare_by_essence() {
        assert_eq!(validate_target(Platform::Instagram, "", &[image("Image/JPG; q=1", MB)]), vec![]);
    }

    #[test]
    fn every_violation_is_reported_at_once() {
        let media = vec![
            image("image/png", 6 * MB),
            image("application/pdf", MB),
            image("image/jpeg", MB),
            image("image/jpeg", MB),
            video(10 * MB, 30.0),
        ];
        let errors = validate_target(Platform::X, &"a".repeat(281), &media);
        assert_eq!(fields(&errors), vec!["text", "media", "media", "media[0]", "media[1]"]);
        assert_eq!(errors[1].message, "has 5 items; x allows at most 4");
        assert_eq!(errors[2].message, "mixes images with videos or animated GIFs; x allows one kind per post");
        assert_eq!(errors[3].message, "is 6000000 bytes; x allows images up to 5000000 bytes");
    }

    #[test]
    fn platform_names_round_trip_through_serde_and_parse() {
        for platform in Platform::ALL {
            let json = serde_json::to_string(&platform).unwrap();
            assert_eq!(json, format!("\"{}\"", platform.as_str()));
            assert_eq!(serde_json::from_str::<Platform>(&json).unwrap(), platform);
            assert_eq!(Platform::parse(platform.as_str()), Some(platform));
            assert!(capabilities(platform).max_media >= 1);
        }
        assert_eq!(Platform::parse("twitter"), None);
        assert_eq!(Platform::parse("LinkedIn"), None);
    }
}
