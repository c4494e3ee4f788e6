//! AI that never leaves a user empty-handed (SPEC AI-1, AI-2, AI-5, AI-6): one gateway over the
//! OpenAI-compatible, Anthropic and Gemini APIs, down a chain of providers to built-in static
//! content; every generation returns (and, unless private, stores) the exact prompt sent, and
//! records its attempts, tokens, cost and credits. Credits are reserved from the workspace's
//! plan before the first call and settled once after the last.

pub mod gateway;
pub mod handlers;
pub mod ideas;
pub mod prompt;
pub mod providers;
pub mod seo;
pub mod store;
pub mod stream;
pub mod templates;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::ToSchema;

use crate::api::documented::{field, query, Documented, Rule};
use crate::route;
pub use gateway::Attempt;

/// Names a provider may have in a chain (`AI_PROVIDERS`), as documented.
pub const PROVIDER_NAME: &str = "^[a-z0-9_-]{1,40}$";

/// A workspace's AI settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AiSettings {
    /// The providers to try, in order (preferred, secondary, tertiary…), by their names in
    /// `providers`; empty for the operator's order. Static content always comes last.
    #[serde(default)]
    pub chain: Vec<String>,
    /// Generations return their prompt and output but never store them.
    #[serde(default)]
    pub privacy_mode: bool,
    /// The template posts are written with unless a request names one (the built-in one when
    /// absent): a built-in template, one of the workspace's, or a shared one.
    #[serde(default)]
    pub default_post_template: Option<String>,
    /// The same for reels.
    #[serde(default)]
    pub default_reel_template: Option<String>,
}

/// A provider this server offers.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderView {
    pub name: String,
    /// `openai` (Chat Completions and compatible), `anthropic` or `gemini`.
    pub kind: String,
    pub model: String,
    /// Whether the operator gave it a key (without one it is skipped).
    pub available: bool,
}

/// The settings, with the providers they can name.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AiSettingsView {
    #[serde(flatten)]
    pub settings: AiSettings,
    /// The chain a generation walks now (the workspace's, else the operator's order).
    pub effective_chain: Vec<String>,
    pub providers: Vec<ProviderView>,
}

/// A key of one's own provider account: calls on it take no credits. Checked with a cheap call
/// to the provider when saved; sealed at rest; never shown again (only its last four characters).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OwnKeyInput {
    pub key: String,
    /// `user` (the caller's own, the default) or `workspace` (every member's; owners and admins).
    pub scope: Option<String>,
}

/// An own key, as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OwnKeyView {
    pub provider: String,
    /// `user` or `workspace`.
    pub scope: String,
    /// The key's last four characters.
    pub hint: String,
    pub created_at: String,
}

/// A post from a brief.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GeneratePostInput {
    /// What the post is about.
    pub brief: String,
    /// The platform it is for: the text then keeps within its length.
    pub platform: Option<crate::platforms::Platform>,
    /// Whose brand profile speaks (the campaign's client when absent).
    pub client_id: Option<String>,
    pub persona_id: Option<String>,
    pub campaign_id: Option<String>,
    /// A tone for this post, over the brand's.
    pub tone: Option<String>,
    /// The prompt template (a post template: built in, the workspace's, the caller's or a shared
    /// one); the workspace's default when absent.
    pub template_id: Option<String>,
    /// An earlier version of the workspace's own template; the current one when absent.
    pub template_version: Option<i64>,
    /// This caller's chain for this request, over the workspace's.
    pub providers: Option<Vec<String>>,
    /// Return the prompt and output but do not store them (always so in privacy mode).
    #[serde(default)]
    pub private: bool,
}

/// A text to rewrite for one platform.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdaptInput {
    pub text: String,
    pub platform: crate::platforms::Platform,
    /// Whose brand profile speaks.
    pub client_id: Option<String>,
    pub tone: Option<String>,
    pub providers: Option<Vec<String>>,
    #[serde(default)]
    pub private: bool,
}

/// A text to find headlines for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HeadlinesInput {
    pub text: String,
    /// How many (5 when absent).
    pub count: Option<i64>,
    pub providers: Option<Vec<String>>,
    #[serde(default)]
    pub private: bool,
}

/// Headlines for a text.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeadlinesResult {
    pub headlines: Vec<String>,
    #[serde(flatten)]
    pub generation: Generated,
}

/// A text to analyse for search.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeoInput {
    pub text: String,
    /// The phrases it should rank for.
    #[serde(default)]
    pub keywords: Vec<String>,
    pub providers: Option<Vec<String>>,
    #[serde(default)]
    pub private: bool,
}

/// How often a keyword appears.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct KeywordUse {
    pub keyword: String,
    pub count: i64,
    /// Percent of the text's words that are this keyword's.
    pub density: f64,
    /// Whether it appears in the first sentence.
    pub in_opening: bool,
}

/// What is measured locally, without a model.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeoAnalysis {
    pub characters: i64,
    pub words: i64,
    pub sentences: i64,
    pub average_sentence_words: f64,
    /// Flesch reading ease: 60–70 is plain English, below 30 very difficult.
    pub reading_ease: f64,
    pub keywords: Vec<KeywordUse>,
    /// What the measures say to fix.
    pub issues: Vec<String>,
}

/// An SEO analysis: the local measures, and suggestions from the model (or, when none
/// answered, from the measures).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeoResult {
    pub analysis: SeoAnalysis,
    pub suggestions: Vec<String>,
    #[serde(flatten)]
    pub generation: Generated,
}

/// What campaign ideas to propose.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IdeasInput {
    /// How many post ideas (3 when absent).
    pub posts: Option<i64>,
    /// How many reel ideas (2 when absent).
    pub reels: Option<i64>,
    /// What to aim the ideas at, besides the campaign itself.
    pub brief: Option<String>,
    /// The persona to write for.
    pub persona_id: Option<String>,
    pub providers: Option<Vec<String>>,
    #[serde(default)]
    pub private: bool,
}

/// Campaign ideas, proposed (`GENERATED`) in the campaign's idea workflow.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdeasResult {
    /// Posts first, then reels. In privacy mode they are returned but not kept: create the ones
    /// wanted with the campaign's ideas route.
    pub ideas: Vec<crate::agency::model::ideas::IdeaView>,
    #[serde(flatten)]
    pub generation: Generated,
}

/// The messages sent to the model, exactly.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PromptView {
    pub system: String,
    pub user: String,
}

/// What one generation used.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageView {
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cost_usd: f64,
    /// Credits taken from the workspace's period (a credit is a thousandth of a dollar of
    /// provider cost, at least one per generation a provider answered; static content is free).
    pub credits: i64,
}

/// What a generation made.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Generated {
    pub generation_id: String,
    /// `post`, `adapt`, `headlines`, `seo` or `ideas`.
    pub kind: String,
    /// The answer: for ideas, their JSON as checked against the schema.
    pub text: String,
    /// Built-in content from the brief and the brand, because no provider answered.
    #[serde(rename = "static")]
    pub is_static: bool,
    /// The provider that answered (`static` for built-in content).
    pub provider: String,
    pub model: Option<String>,
    /// The prompt sent (the last one, when the answer was asked again shorter).
    pub prompt: PromptView,
    #[schema(value_type = Object)]
    pub parameters: Json,
    pub usage: UsageView,
    pub attempts: Vec<Attempt>,
    /// Whether the prompt and output were stored (not in privacy mode).
    pub stored: bool,
    /// What was done to fit, e.g. a cut at the platform's limit.
    pub warnings: Vec<String>,
    /// The prompt template the prompt was made from, and its version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_version: Option<i64>,
}

/// A stored generation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenerationView {
    pub id: String,
    pub user_id: Option<String>,
    /// `post`.
    pub kind: String,
    /// `running`, `done` (a provider answered), `static` or `abandoned` (its request died).
    pub status: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    #[schema(value_type = Object)]
    pub parameters: Json,
    /// The exact prompt; null when private.
    pub prompt: Option<PromptView>,
    /// Null when private.
    pub output: Option<String>,
    pub private: bool,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cost_usd: f64,
    pub credits_reserved: i64,
    pub credits: i64,
    pub latency_ms: i64,
    pub attempts: Vec<Attempt>,
    pub template_id: Option<String>,
    pub template_version: Option<i64>,
    pub created_at: String,
    pub settled_at: Option<String>,
}

/// One member's use of one provider and model in the period.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageLine {
    pub user_id: Option<String>,
    /// `static` for built-in content; empty for generations abandoned before an answer.
    pub provider: String,
    pub model: String,
    pub generations: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cost_usd: f64,
    pub credits: i64,
}

/// A workspace's AI use in a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    pub from: String,
    pub to: String,
    pub lines: Vec<UsageLine>,
    pub generations: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cost_usd: f64,
    pub credits: i64,
}

/// An API key as providers write them: 8 to 500 visible characters, no spaces.
pub const KEY_PATTERN: &str = "^[!-~]{8,500}$";

static NAME_RULE: Rule = Rule::Pattern(PROVIDER_NAME, 40);

pub const DOCUMENTED: &[Documented] = &[
    field("AiSettings", "chain", Rule::Items(0, 10, &NAME_RULE)),
    field("AiSettings", "defaultPostTemplate", Rule::Id),
    field("AiSettings", "defaultReelTemplate", Rule::Id),
    field("TemplateInput", "name", Rule::Line(100)),
    field("TemplateInput", "kind", Rule::OneOf(&["post", "reel"])),
    field("TemplateInput", "system", Rule::NonBlank(4_000)),
    field("TemplateInput", "prompt", Rule::NonBlank(8_000)),
    field("TemplateInput", "scope", Rule::OneOf(&["workspace", "user"])),
    field("TemplatePatch", "name", Rule::Line(100)),
    field("TemplatePatch", "system", Rule::NonBlank(4_000)),
    field("TemplatePatch", "prompt", Rule::NonBlank(8_000)),
    field("RatingInput", "stars", Rule::Range(1, 5)),
    query("getAiUsage", "from", Rule::DateTime),
    query("getAiUsage", "to", Rule::DateTime),
    query("deleteAiKey", "scope", Rule::OneOf(&["user", "workspace"])),
    query("listAiCatalogue", "kind", Rule::OneOf(&["", "post", "reel"])),
    query("listAiCatalogue", "sort", Rule::OneOf(&["rating", "uses"])),
    field("GeneratePostInput", "templateId", Rule::Id),
    field("GeneratePostInput", "templateVersion", Rule::Range(1, 1_000_000)),
    field("OwnKeyInput", "key", Rule::Pattern(KEY_PATTERN, 500)),
    field("OwnKeyInput", "scope", Rule::OneOf(&["user", "workspace"])),
    field("GeneratePostInput", "brief", Rule::NonBlank(2000)),
    field("GeneratePostInput", "clientId", Rule::Id),
    field("GeneratePostInput", "personaId", Rule::Id),
    field("GeneratePostInput", "campaignId", Rule::Id),
    field("GeneratePostInput", "tone", Rule::Text(200)),
    field("GeneratePostInput", "providers", Rule::Items(1, 10, &NAME_RULE)),
    field("AdaptInput", "text", Rule::NonBlank(10_000)),
    field("AdaptInput", "clientId", Rule::Id),
    field("AdaptInput", "tone", Rule::Text(200)),
    field("AdaptInput", "providers", Rule::Items(1, 10, &NAME_RULE)),
    field("HeadlinesInput", "text", Rule::NonBlank(5_000)),
    field("HeadlinesInput", "count", Rule::Range(1, 10)),
    field("HeadlinesInput", "providers", Rule::Items(1, 10, &NAME_RULE)),
    field("SeoInput", "text", Rule::NonBlank(20_000)),
    field("SeoInput", "keywords", Rule::Items(0, 10, &Rule::NonBlank(100))),
    field("SeoInput", "providers", Rule::Items(1, 10, &NAME_RULE)),
    field("IdeasInput", "posts", Rule::Range(0, ideas::MAX_POSTS)),
    field("IdeasInput", "reels", Rule::Range(0, ideas::MAX_REELS)),
    field("IdeasInput", "brief", Rule::Text(2000)),
    field("IdeasInput", "personaId", Rule::Id),
    field("IdeasInput", "providers", Rule::Items(1, 10, &NAME_RULE)),
];

/// AI generation under a workspace.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "ai",
    routes: &[
        route!(GET "/api/v1/workspaces/{workspaceId}/ai/settings", getAiSettings, Workspace(PostsWrite), handlers::get_settings).folds_membership().trips(1),
        route!(PUT "/api/v1/workspaces/{workspaceId}/ai/settings", updateAiSettings, Workspace(WorkspaceUpdate), handlers::put_settings).trips(4),
        route!(GET "/api/v1/workspaces/{workspaceId}/ai/keys", listAiKeys, Workspace(PostsWrite), handlers::list_keys).folds_membership().trips(1),
        route!(PUT "/api/v1/workspaces/{workspaceId}/ai/keys/{provider}", saveAiKey, Workspace(PostsWrite), handlers::save_key).trips(2),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/ai/keys/{provider}", deleteAiKey, Workspace(PostsWrite), handlers::delete_key).trips(2),
        // Three round trips (the reads, the reservation, the settlement); five when the workspace
        // is out of credits and own keys carry on (the refusal, its explanation, a new hold);
        // three more with an Idempotency-Key (the membership check it needs first, the key's
        // reservation and its answer).
        route!(POST "/api/v1/workspaces/{workspaceId}/ai/posts", generatePost, Workspace(PostsWrite), handlers::generate_post).folds_membership().trips(8),
        route!(POST "/api/v1/workspaces/{workspaceId}/ai/adapt", adaptText, Workspace(PostsWrite), handlers::adapt).folds_membership().trips(5),
        route!(POST "/api/v1/workspaces/{workspaceId}/ai/headlines", suggestHeadlines, Workspace(PostsWrite), handlers::headlines).folds_membership().trips(5),
        route!(POST "/api/v1/workspaces/{workspaceId}/ai/seo", analyzeSeo, Workspace(PostsWrite), handlers::seo).folds_membership().trips(5),
        route!(POST "/api/v1/workspaces/{workspaceId}/ai/campaigns/{campaignId}/ideas", generateIdeas, Workspace(IdeasWrite), handlers::ideas::generate).folds_membership().trips(5),
        route!(GET "/api/v1/workspaces/{workspaceId}/ai/templates", listAiTemplates, Workspace(PostsWrite), handlers::templates::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/ai/templates", createAiTemplate, Workspace(PostsWrite), handlers::templates::create).trips(2),
        route!(GET "/api/v1/workspaces/{workspaceId}/ai/templates/{templateId}", getAiTemplate, Workspace(PostsWrite), handlers::templates::get).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/ai/templates/{templateId}", updateAiTemplate, Workspace(PostsWrite), handlers::templates::update).folds_membership().trips(2),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/ai/templates/{templateId}", deleteAiTemplate, Workspace(PostsWrite), handlers::templates::delete).folds_membership().trips(2),
        route!(GET "/api/v1/workspaces/{workspaceId}/ai/templates/{templateId}/versions", listAiTemplateVersions, Workspace(PostsWrite), handlers::templates::versions).folds_membership().trips(1),
        route!(PUT "/api/v1/workspaces/{workspaceId}/ai/templates/{templateId}/sharing", shareAiTemplate, Workspace(PostsWrite), handlers::templates::sharing).trips(4),
        route!(GET "/api/v1/ai/catalogue", listAiCatalogue, User, handlers::templates::catalogue).trips(1),
        route!(PUT "/api/v1/ai/catalogue/{templateId}/rating", rateAiTemplate, User, handlers::templates::rate).trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/ai/generations", listGenerations, Workspace(PostsWrite), handlers::list_generations).folds_membership().trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/ai/generations/{generationId}", getGeneration, Workspace(PostsWrite), handlers::get_generation).folds_membership().trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/ai/usage", getAiUsage, Workspace(WorkspaceUpdate), handlers::usage).folds_membership().trips(1),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[DOCUMENTED],
};
