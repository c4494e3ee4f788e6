//! The media routes under `/api/v1/workspaces/{workspaceId}/media`.

use std::collections::BTreeMap;

use utoipa::IntoParams;

use super::links;
use super::model::{
    self, CompleteInput, MediaPage, MediaPatch, MediaType, MediaUsage, MediaView, UploadCreated, UploadInput,
    UploadInstructions,
};
use super::probe::{self, PREFIX_BYTES};
use super::store::{self, Filters, Stored};
use crate::activity::{self, Change};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Member, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::sql::Scope;
use crate::validate::{rfc3339, Fields};

/// How long a presigned upload URL works.
pub const UPLOAD_URL_SECS: u32 = 15 * 60;
/// How long a presigned download URL works.
pub const DOWNLOAD_URL_SECS: u32 = 60 * 60;
/// Files up to this size are served through the API; larger ones by a presigned URL.
pub const SERVE_MAX_BYTES: i64 = model::IMAGE_MAX_BYTES;

fn kind(v: &MediaView) -> Result<MediaType, AppError> {
    model::media_type(&v.content_type).ok_or_else(|| AppError::Internal("stored content type is not allowed".into()))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/media/uploads", tag = "media", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = UploadInput,
    responses(
        (status = 201, description = "A pending asset and how to send its file: a presigned PUT URL with the headers it signs \
            (content-type, content-length) and its expiry, or this API's content route", body = Envelope<UploadCreated>),
        (status = 400, description = "VALIDATION_ERROR: a type not on the allow-list, a size over its limit, …", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: viewers and clients may not upload", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: this server cannot presign (no S3 endpoint); use method `stream`", body = ErrorEnvelope),
    ))]
pub async fn create_upload(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: UploadInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let mut f = Fields::default();
    let filename = f.take("filename", model::parse_filename(&input.filename));
    let media_type = f.take("contentType", model::parse_type(&input.content_type));
    let size = f.take("sizeBytes", model::parse_size(input.size_bytes, media_type));
    let width = f.take_opt("width", input.width, model::parse_pixels);
    let height = f.take_opt("height", input.height, model::parse_pixels);
    let duration = match (input.duration_ms, media_type) {
        (Some(_), Some(t)) if !t.video => f.take::<i64>("durationMs", Err("only videos have a duration".into())),
        (d, _) => f.take_opt("durationMs", d, model::parse_duration),
    };
    let alt_text = f.take("altText", model::parse_alt_text(input.alt_text));
    let tags = f.take("tags", model::parse_tags(input.tags.unwrap_or_default()));
    let folder = f.take("folder", model::parse_folder(input.folder.as_deref().unwrap_or_default()));
    let presigned = f.take(
        "method",
        match input.method.as_deref().map(str::trim) {
            None | Some("presigned") => Ok(true),
            Some("stream") => Ok(false),
            Some(_) => Err("must be presigned or stream".to_string()),
        },
    );
    let (Some(filename), Some(media_type), Some(size), Some(alt_text), Some(tags), Some(folder), Some(presigned)) =
        (filename, media_type, size, alt_text, tags, folder, presigned)
    else {
        return Err(f.error());
    };
    if !f.is_ok() {
        return Err(f.error());
    }
    let id = ctx.new_id();
    let now = ctx.clock.now_ms();
    let key = format!("media/{}/{id}.{}", member.workspace_id, media_type.extension);
    let mut headers = BTreeMap::from([("content-type".to_string(), media_type.content_type.to_string())]);
    // Presign before writing anything: a server that cannot presign leaves no pending asset.
    let upload = if presigned {
        let url = ctx.blobs.presign_put(&key, media_type.content_type, size as u64, UPLOAD_URL_SECS, now)?;
        headers.insert("content-length".into(), size.to_string());
        UploadInstructions {
            method: "PUT".into(),
            url,
            headers,
            expires_at: Some(rfc3339(now + i64::from(UPLOAD_URL_SECS) * 1000)),
        }
    } else {
        let url = format!("/api/v1/workspaces/{}/media/{id}/content", member.workspace_id);
        UploadInstructions { method: "PUT".into(), url, headers, expires_at: None }
    };
    let stored = Stored {
        key,
        view: MediaView {
            id: id.clone(),
            filename,
            content_type: media_type.content_type.into(),
            size_bytes: size,
            width,
            height,
            duration_ms: duration,
            alt_text,
            tags,
            folder,
            status: "pending".into(),
            uploaded_by: call.caller()?.user_id.clone(),
            created_at: rfc3339(now),
            updated_at: rfc3339(now),
            download_url: None,
        },
    };
    let mut statements = store::insert(&member.workspace_id, &stored, now)?;
    let change = Change {
        action: "media.create",
        entity_type: "media",
        entity_id: &id,
        before: None,
        after: Some(activity::snapshot(&stored.view)),
    };
    statements.push(activity::record(ctx, call, &member.workspace_id, change));
    ctx.db.batch(&statements).await?;
    Ok(json::ok(201, UploadCreated { asset: stored.view, upload }))
}

/// How long an upload holds its asset before another may take it over. A stale upload that
/// finishes later loses at the transition to ready, and its file is deleted.
pub const UPLOAD_LEASE_MS: i64 = UPLOAD_URL_SECS as i64 * 1000;

/// One upload's hold on a pending asset, and where its file is.
struct Upload {
    claim: String,
    key: String,
    /// The key is this upload's alone (a streamed upload): its file goes whenever the upload
    /// does not make the asset ready. A presigned upload's key is the asset's declared one.
    own_key: bool,
}

/// Claims the pending asset for one upload. `None` when the asset is ready, or another upload
/// holds it.
async fn claim(ctx: &Context<'_>, workspace_id: &str, id: &str) -> Result<Option<String>, AppError> {
    let claim = ctx.new_id();
    let s = store::claim_upload(workspace_id, id, &claim, ctx.clock.now_ms(), UPLOAD_LEASE_MS);
    Ok((ctx.db.execute(&s.sql, &s.params).await? == 1).then_some(claim))
}

/// Why an upload could not claim, or keep, the asset.
async fn busy(ctx: &Context<'_>, workspace_id: &str, id: &str) -> AppError {
    match store::find(ctx.db, workspace_id, id).await {
        Ok(s) if s.view.status == "ready" => {
            AppError::Conflict("this asset is already uploaded; create a new upload to replace it".into())
        }
        Ok(_) => AppError::Conflict(
            "another upload of this asset is in progress; send the file again if it does not end ready".into(),
        ),
        Err(e) => e,
    }
}

/// Ends an upload that did not make the asset ready: its own file is deleted, and the asset is
/// given back for another upload. Best effort: a stale claim expires with its lease.
async fn abandon(ctx: &Context<'_>, workspace_id: &str, id: &str, upload: &Upload) {
    if upload.own_key {
        if let Err(e) = ctx.blobs.delete(&upload.key).await {
            tracing::warn!(cause = %e, "could not delete the file of an abandoned upload");
        }
    }
    let s = store::release_upload(workspace_id, id, &upload.claim);
    if let Err(e) = ctx.db.execute(&s.sql, &s.params).await {
        tracing::warn!(cause = %e, "could not release an upload claim");
    }
}

/// Checks the file stored at `key` against what was declared: the asset as it is once ready.
/// A refused file is deleted, so that the upload can be sent again.
async fn check(
    ctx: &Context<'_>,
    before: &MediaView,
    key: &str,
    declared: CompleteInput,
) -> Result<MediaView, AppError> {
    let media_type = kind(before)?;
    let info = ctx.blobs.head(key).await?.ok_or_else(|| {
        AppError::Conflict("the file has not been uploaded yet: send it to the upload URL first".into())
    })?;
    let mut f = Fields::default();
    if i64::try_from(info.size).ok() != Some(before.size_bytes) {
        f.take::<()>(
            "sizeBytes",
            Err(format!("the stored file has {} bytes, not the {} declared", info.size, before.size_bytes)),
        );
    }
    if let Some(stored_type) = info.content_type.as_deref().map(model::normalize_type) {
        if !stored_type.is_empty() && stored_type != before.content_type {
            f.take::<()>(
                "contentType",
                Err(format!("the file was stored as {stored_type}, not {}", before.content_type)),
            );
        }
    }
    let prefix =
        if f.is_ok() { ctx.blobs.get_prefix(key, PREFIX_BYTES).await?.unwrap_or_default() } else { Vec::new() };
    let found = probe::probe(media_type.content_type, &prefix);
    if f.is_ok() && !found.type_matches {
        f.take::<()>("contentType", Err(format!("the file's content is not {}", before.content_type)));
    }
    if !f.is_ok() {
        if let Err(e) = ctx.blobs.delete(key).await {
            tracing::warn!(cause = %e, "could not delete a refused upload");
        }
        return Err(f.error());
    }
    let mut after = before.clone();
    // The file's own header wins over what the client said.
    if let Some((w, h)) = found.dimensions {
        (after.width, after.height) = (Some(i64::from(w)), Some(i64::from(h)));
    } else {
        after.width = declared.width.or(after.width);
        after.height = declared.height.or(after.height);
    }
    after.duration_ms = declared.duration_ms.or(after.duration_ms);
    after.status = "ready".into();
    Ok(after)
}

/// Checks the upload's file and makes the asset ready with it, in one statement guarded by the
/// claim: of two uploads, only the one holding the asset records its file and its metadata.
async fn finish(
    ctx: &Context<'_>,
    call: &Call<'_>,
    member: &Member,
    before: MediaView,
    upload: &Upload,
    declared: CompleteInput,
) -> Result<MediaView, AppError> {
    let ws = member.workspace_id.as_str();
    let mut after = match check(ctx, &before, &upload.key, declared).await {
        Ok(after) => after,
        Err(e) => {
            abandon(ctx, ws, &before.id, upload).await;
            return Err(e);
        }
    };
    let now = ctx.clock.now_ms();
    after.updated_at = rfc3339(now);
    let change = Change {
        action: "media.complete",
        entity_type: "media",
        entity_id: &after.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&after)),
    };
    let log = store::log_if(activity::record(ctx, call, ws, change), store::LOG_IF_READY, now)?;
    let ready = store::mark_ready(ws, &after, &upload.key, &upload.claim, now);
    match ctx.db.batch(&[ready, log]).await {
        Ok(changed) if changed.first() == Some(&1) => Ok(after),
        Ok(_) => {
            // The claim was taken over (its lease ran out) or the asset deleted meanwhile.
            abandon(ctx, ws, &before.id, upload).await;
            Err(busy(ctx, ws, &before.id).await)
        }
        Err(e) => {
            abandon(ctx, ws, &before.id, upload).await;
            Err(e.into())
        }
    }
}

fn parse_complete(body: &[u8], media_type: MediaType) -> Result<CompleteInput, AppError> {
    let input: CompleteInput = json::parse_optional(body)?;
    let mut f = Fields::default();
    let width = f.take_opt("width", input.width, model::parse_pixels);
    let height = f.take_opt("height", input.height, model::parse_pixels);
    let duration_ms = match input.duration_ms {
        Some(_) if !media_type.video => f.take::<i64>("durationMs", Err("only videos have a duration".into())),
        d => f.take_opt("durationMs", d, model::parse_duration),
    };
    if f.is_ok() {
        Ok(CompleteInput { width, height, duration_ms })
    } else {
        Err(f.error())
    }
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/media/{mediaId}/complete", tag = "media", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("mediaId" = String, Path)), request_body(content = Option<CompleteInput>,
        description = "Optional: sizes the file itself may not tell (a video's, or a JPEG's frame beyond its first 64 KiB)"),
    responses(
        (status = 200, description = "The file is stored with the declared type and size: the asset is ready \
            (again 200, unchanged, when it already was)", body = Envelope<MediaView>),
        (status = 400, description = "VALIDATION_ERROR: the stored file's size, type or content differs from the declaration; \
            it is deleted and the asset stays pending, for the file to be sent again", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: nothing was uploaded yet, or another upload of the asset is in progress", body = ErrorEnvelope),
    ))]
pub async fn complete(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let ws = member.workspace_id.as_str();
    let stored = store::find(ctx.db, ws, call.params.get("mediaId")?).await?;
    let declared = parse_complete(&call.req.body, kind(&stored.view)?)?;
    if stored.view.status == "ready" {
        return Ok(json::ok(200, stored.view));
    }
    let Some(claim) = claim(ctx, ws, &stored.view.id).await? else {
        // Ready meanwhile is an answer too; anything else is another upload at work.
        let now = store::find(ctx.db, ws, &stored.view.id).await?;
        if now.view.status == "ready" {
            return Ok(json::ok(200, now.view));
        }
        return Err(busy(ctx, ws, &stored.view.id).await);
    };
    let upload = Upload { claim, key: stored.key, own_key: false };
    Ok(json::ok(200, finish(ctx, call, member, stored.view, &upload, declared).await?))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspaceId}/media/{mediaId}/content", tag = "media", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("mediaId" = String, Path),
        ("content-type" = String, Header, description = "The type declared for the asset"),
        ("content-length" = u64, Header, description = "The size declared for the asset")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The file's bytes, streamed into object storage (the JSON body limit does not apply; the type's does)"),
    responses(
        (status = 200, description = "Stored and checked: the asset is ready with this file, which is its content from then on", body = Envelope<MediaView>),
        (status = 400, description = "VALIDATION_ERROR: content-type or content-length differ from the declaration, or the bytes \
            are not of that type; nothing is kept and the asset stays pending, for the file to be sent again", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: the asset is already ready, or another upload of it is in progress (an upload \
            holds its asset until it ends, 15 minutes at most); the asset's file is unchanged", body = ErrorEnvelope),
        (status = 413, description = "PAYLOAD_TOO_LARGE: over the type's size limit", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: no object storage on this server", body = ErrorEnvelope),
    ))]
pub async fn put_content(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let stored = store::find(ctx.db, &member.workspace_id, call.params.get("mediaId")?).await?;
    if stored.view.status == "ready" {
        return Err(AppError::Conflict("this asset is already uploaded; create a new upload to replace it".into()));
    }
    let media_type = kind(&stored.view)?;
    let req = call.req;
    let length = match req.header("content-length") {
        Some(l) => l.trim().parse::<u64>().ok(),
        None if !req.body.is_empty() => Some(req.body.len() as u64),
        None => None,
    };
    if length.is_some_and(|l| l > media_type.max_bytes as u64) || req.body.len() as u64 > media_type.max_bytes as u64 {
        return Err(AppError::PayloadTooLarge(media_type.max_bytes as usize));
    }
    let mut f = Fields::default();
    let sent_type = model::normalize_type(req.header("content-type").unwrap_or_default());
    if sent_type != stored.view.content_type {
        f.take::<()>(
            "content-type",
            Err(format!("must be {}, the type declared for this asset", stored.view.content_type)),
        );
    }
    match length {
        None => {
            f.take::<()>("content-length", Err("is required".into()));
        }
        Some(l) if i64::try_from(l).ok() != Some(stored.view.size_bytes) => {
            f.take::<()>(
                "content-length",
                Err(format!("must be {}, the size declared for this asset", stored.view.size_bytes)),
            );
        }
        Some(l) if !req.body.is_empty() && req.body.len() as u64 != l => {
            f.take::<()>("body", Err(format!("has {} bytes, not the {l} of content-length", req.body.len())));
        }
        Some(_) => {}
    }
    let Some(length) = length.filter(|_| f.is_ok()) else {
        return Err(f.error());
    };
    // The asset is this upload's before any byte is written, and its file goes under a key of
    // its own: a concurrent or later upload answers 409 and never touches the asset's file.
    let ws = member.workspace_id.as_str();
    let Some(claim) = claim(ctx, ws, &stored.view.id).await? else {
        return Err(busy(ctx, ws, &stored.view.id).await);
    };
    let key = format!("media/{ws}/{}/{claim}.{}", stored.view.id, media_type.extension);
    let upload = Upload { claim, key, own_key: true };
    let written = match ctx.blobs.put_request_body(&upload.key, &stored.view.content_type, length).await {
        Ok(true) => Ok(()),
        Ok(false) => ctx.blobs.put(&upload.key, &stored.view.content_type, req.body.clone()).await,
        Err(e) => Err(e),
    };
    if let Err(e) = written {
        abandon(ctx, ws, &stored.view.id, &upload).await;
        return Err(e.into());
    }
    Ok(json::ok(200, finish(ctx, call, member, stored.view, &upload, CompleteInput::default()).await?))
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
struct MediaQuery {
    /// Only assets in exactly this folder.
    folder: Option<String>,
    /// Only assets with this tag.
    tag: Option<String>,
    /// `image`, `video`, or one content type such as `image/png`.
    r#type: Option<String>,
    /// `pending` or `ready`.
    status: Option<String>,
    cursor: Option<String>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/media", tag = "media", security(("bearer" = [])),
    params(("workspaceId" = String, Path), MediaQuery),
    responses(
        (status = 200, description = "Assets, newest first", body = Envelope<MediaPage>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let q = |n: &str| call.req.query_param(n).unwrap_or_default();
    let mut f = Fields::default();
    let limit = match call.req.query_param("limit") {
        None => Some(50),
        Some(l) => f.take(
            "limit",
            l.parse::<i64>().ok().filter(|l| (1..=100).contains(l)).ok_or("must be 1 to 100".to_string()),
        ),
    };
    let folder = f.take("folder", model::parse_folder(&q("folder"))).map(Option::unwrap_or_default);
    let tag = q("tag").trim().to_lowercase();
    let (content_type, type_prefix) = match q("type").trim().to_ascii_lowercase().as_str() {
        "" => (String::new(), String::new()),
        "image" | "video" => (String::new(), format!("{}/%", q("type").trim().to_ascii_lowercase())),
        t => match model::parse_type(t) {
            Ok(t) => (t.content_type.to_string(), String::new()),
            Err(_) => {
                f.take::<()>("type", Err(format!("must be image, video or one of {}", list_types())));
                (String::new(), String::new())
            }
        },
    };
    let status = q("status");
    if !matches!(status.as_str(), "" | "pending" | "ready") {
        f.take::<()>("status", Err("must be pending or ready".into()));
    }
    let (Some(limit), Some(folder)) = (limit, folder) else {
        return Err(f.error());
    };
    if !f.is_ok() {
        return Err(f.error());
    }
    let filters = Filters {
        folder,
        tag,
        content_type,
        type_prefix,
        status,
        cursor: q("cursor"),
        limit: limit + 1,
        viewer: call.caller()?.user_id.clone(),
    };
    // The membership check and the page: one round trip.
    let read = store::list_read(call.params.get("workspaceId")?, &filters);
    let (_, mut items) = call.admitted_one(ctx.db, read, store::list_of).await?;
    let next_cursor = crate::api::paging::next_cursor(&mut items, limit, |m| &m.id);
    Ok(json::ok(200, MediaPage { items, next_cursor }))
}

fn list_types() -> String {
    model::TYPES.iter().map(|t| t.content_type).collect::<Vec<_>>().join(", ")
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/media/{mediaId}", tag = "media", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("mediaId" = String, Path)),
    responses(
        (status = 200, description = "The asset, with a presigned download URL when it is ready and the server can presign", body = Envelope<MediaView>),
        (status = 404, description = "NOT_FOUND, also for another workspace's asset", body = ErrorEnvelope),
    ))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check and the asset: one round trip.
    let read =
        store::visible_read(call.params.get("workspaceId")?, &call.caller()?.user_id, call.params.get("mediaId")?);
    let (_, stored) = call.admitted_one(ctx.db, read, store::visible_of).await?;
    let mut view = stored.view;
    if view.status == "ready" {
        view.download_url = ctx.blobs.presign_get(&stored.key, DOWNLOAD_URL_SECS, ctx.clock.now_ms()).ok();
    }
    Ok(json::ok(200, view))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/media/{mediaId}/content", tag = "media", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("mediaId" = String, Path)),
    responses(
        (status = 200, description = "The file (files up to 20 MiB)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 302, description = "Larger files: a presigned GET URL in Location"),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: the file is not uploaded yet", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: no object storage, or too large to serve without presigning", body = ErrorEnvelope),
    ))]
pub async fn get_content(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check and the asset: one round trip.
    let read =
        store::visible_read(call.params.get("workspaceId")?, &call.caller()?.user_id, call.params.get("mediaId")?);
    let (_, stored) = call.admitted_one(ctx.db, read, store::visible_of).await?;
    if stored.view.status != "ready" {
        return Err(AppError::Conflict("the file is not uploaded yet".into()));
    }
    if stored.view.size_bytes > SERVE_MAX_BYTES {
        let url = ctx.blobs.presign_get(&stored.key, DOWNLOAD_URL_SECS, ctx.clock.now_ms())?;
        return Ok(Response::empty(302).with_header("location", url).with_header("cache-control", "no-store"));
    }
    let bytes = ctx
        .blobs
        .get(&stored.key)
        .await?
        .ok_or_else(|| AppError::Internal(format!("the object of ready asset {} is missing", stored.view.id)))?;
    Ok(Response::new(200, &stored.view.content_type, bytes).with_header("cache-control", "private, max-age=300"))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/media/{mediaId}", tag = "media", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("mediaId" = String, Path)), request_body = MediaPatch,
    responses(
        (status = 200, description = "Updated", body = Envelope<MediaView>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: MediaPatch = json::parse(&call.req.body)?;
    let member = call.member()?;
    let before = store::find(ctx.db, &member.workspace_id, call.params.get("mediaId")?).await?.view;
    let mut after = before.clone();
    let mut f = Fields::default();
    if let Some(alt) = f.take_opt("altText", input.alt_text.map(Some), model::parse_alt_text) {
        after.alt_text = alt;
    }
    if let Some(tags) = f.take_opt("tags", input.tags, model::parse_tags) {
        after.tags = tags;
    }
    if let Some(folder) = f.take_opt("folder", input.folder, |s| model::parse_folder(&s)) {
        after.folder = folder;
    }
    if !f.is_ok() {
        return Err(f.error());
    }
    let now = ctx.clock.now_ms();
    after.updated_at = rfc3339(now);
    let mut statements = store::update_metadata(&member.workspace_id, &after, now)?;
    let change = Change {
        action: "media.update",
        entity_type: "media",
        entity_id: &after.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&after)),
    };
    statements.push(activity::record(ctx, call, &member.workspace_id, change));
    ctx.db.batch(&statements).await?;
    Ok(json::ok(200, after))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/media/{mediaId}", tag = "media", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("mediaId" = String, Path)),
    responses(
        (status = 200, description = "Deleted (soft: the row and the file are kept, hidden)", body = Envelope<MediaView>),
        (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: a post uses the asset; detach it first", body = ErrorEnvelope),
    ))]
pub async fn delete(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let before = store::find(ctx.db, &member.workspace_id, call.params.get("mediaId")?).await?.view;
    let used = store::attachments(ctx.db, &member.workspace_id, &before.id).await?;
    if used > 0 {
        return Err(AppError::Conflict(format!(
            "the asset is attached to {used} post target(s); detach it before deleting (see its usage)"
        )));
    }
    let now = ctx.clock.now_ms();
    let change = Change {
        action: "media.delete",
        entity_type: "media",
        entity_id: &before.id,
        before: Some(activity::snapshot(&before)),
        after: None,
    };
    let log = store::log_if(activity::record(ctx, call, &member.workspace_id, change), store::LOG_IF_DELETED, now)?;
    let changed = ctx.db.batch(&[store::soft_delete(&member.workspace_id, &before.id, now), log]).await?;
    if changed.first() == Some(&0) {
        // Attached, or deleted, between the check and the write.
        return Err(AppError::Conflict("the asset changed meanwhile; look at its usage and try again".into()));
    }
    Ok(json::ok(200, before))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/media/{mediaId}/usage", tag = "media", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("mediaId" = String, Path)),
    responses(
        (status = 200, description = "The posts whose targets use the asset, newest first, with those targets; a Client member sees only its clients' posts", body = Envelope<Vec<MediaUsage>>),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn usage(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check, the asset behind the caller's wall and its usage: one round trip.
    let (ws, id, viewer) = (call.params.get("workspaceId")?, call.params.get("mediaId")?, &call.caller()?.user_id);
    let reads = vec![store::visible_read(ws, viewer, id), store::usage_read(ws, id, viewer)];
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    store::visible_of(answers.first().map_or(&[][..], Vec::as_slice))?;
    Ok(json::ok(200, store::usage_of(answers.get(1).map_or(&[][..], Vec::as_slice))?))
}

#[utoipa::path(get, path = "/api/v1/media-links/{workspaceId}/{mediaId}", tag = "media",
    params(("workspaceId" = String, Path), ("mediaId" = String, Path),
           ("expires" = i64, Query, description = "Unix seconds after which the link stops working"),
           ("signature" = String, Query, description = "What Herald signed the link with")),
    responses(
        (status = 200, description = "The file, for a platform that pulls media by URL", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 302, description = "Larger files: a presigned GET URL in Location"),
        (status = 404, description = "NOT_FOUND: no such link, a wrong signature, or an expired link", body = ErrorEnvelope),
    ))]
pub async fn serve_link(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = call.params.get("workspaceId")?;
    let id = call.params.get("mediaId")?;
    let expires = call.req.query_param("expires").and_then(|e| e.parse::<i64>().ok()).unwrap_or(0);
    let sig = call.req.query_param("signature").unwrap_or_default();
    if !links::valid(&ctx.config.jwt_secret, ws, id, expires, &sig, ctx.clock.now_ms()) {
        return Err(AppError::not_found("media link"));
    }
    // The signature vouches for the workspace: the queries below run inside it.
    ctx.db.set_scope(Scope { workspace_id: Some(ws.to_string()), ..Scope::default() });
    let stored = store::find(ctx.db, ws, id).await?;
    if stored.view.status != "ready" {
        return Err(AppError::not_found("media link"));
    }
    if stored.view.size_bytes > SERVE_MAX_BYTES {
        let url = ctx.blobs.presign_get(&stored.key, 3600, ctx.clock.now_ms())?;
        return Ok(Response::empty(302).with_header("location", url).with_header("cache-control", "no-store"));
    }
    let bytes = ctx.blobs.get(&stored.key).await?.ok_or_else(|| AppError::not_found("media link"))?;
    let age = (expires - ctx.clock.now_ms() / 1000).clamp(0, 3600);
    Ok(Response::new(200, &stored.view.content_type, bytes)
        .with_header("cache-control", format!("public, max-age={age}")))
}
