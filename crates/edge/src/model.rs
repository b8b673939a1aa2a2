//! The one model client every worker uses: an OpenAI-compatible chat-completions endpoint
//! (Workers AI's `/ai/v1` in production; any compatible provider by `MODEL_BASE_URL`),
//! streamed or not, plus Workers AI's speech-to-text and text-to-speech models through the
//! same account's REST API. Every call has a timeout; a refused or failed call is retried a
//! bounded number of times before anything was read, and every failure is one
//! [`ModelError`] a worker can turn into a plain message. The token is a secret: it goes
//! into the `Authorization` header and nowhere else.

use crate::http::{NoResponse, send_within, within};
use crate::runtime;
use futures_util::StreamExt;
use kbc_model::{ChatRequest, ChatResponse};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;
use worker::{ByteStream, Delay, Env, Headers, Method, Request, RequestInit};

/// Workers AI's chat model with function calling, unless `MODEL_NAME` says otherwise.
pub const DEFAULT_MODEL: &str = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
/// Speech to text.
pub const SPEECH_TO_TEXT: &str = "@cf/openai/whisper-large-v3-turbo";
/// Text to speech (MP3).
pub const TEXT_TO_SPEECH: &str = "@cf/myshell-ai/melotts";
/// How long one call may take to start answering.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a streamed answer may stay silent.
pub const STREAM_IDLE: Duration = Duration::from_secs(30);
/// Attempts per call (one and two retries) when the provider is down or busy.
const ATTEMPTS: u32 = 3;

/// Where the model and the speech models are, and the key to them.
#[derive(Clone)]
pub struct ModelConfig {
    chat_url: String,
    /// `{api}/accounts/{account}/ai/run/` for the speech models, when Workers AI is configured.
    run_url: Option<String>,
    token: String,
    pub model: String,
}

impl std::fmt::Debug for ModelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("ModelConfig")
            .field("chat_url", &self.chat_url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl ModelConfig {
    /// The configuration the environment gives: `AI_API_TOKEN` and either `MODEL_BASE_URL`
    /// or `AI_API_BASE` with `AI_ACCOUNT_ID`; `None` when the assistant is not configured.
    pub fn from_env(env: &Env) -> Option<Self> {
        let token = runtime::var(env, "AI_API_TOKEN")?;
        let workers_ai = match (
            runtime::var(env, "AI_API_BASE"),
            runtime::var(env, "AI_ACCOUNT_ID"),
        ) {
            (Some(base), Some(account)) => Some(format!(
                "{}/accounts/{account}/ai",
                base.trim_end_matches('/')
            )),
            _ => None,
        };
        let chat_base = match runtime::var(env, "MODEL_BASE_URL") {
            Some(base) => base.trim_end_matches('/').to_owned(),
            None => format!("{}/v1", workers_ai.as_deref()?),
        };
        Some(Self {
            chat_url: format!("{chat_base}/chat/completions"),
            run_url: workers_ai.map(|base| format!("{base}/run/")),
            token,
            model: runtime::var(env, "MODEL_NAME").unwrap_or_else(|| DEFAULT_MODEL.into()),
        })
    }

    /// Whether speech (Workers AI's models) is configured.
    pub fn has_speech(&self) -> bool {
        self.run_url.is_some()
    }
}

/// Why a model call gave nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    /// Not answering, failing, busy or too slow, after the retries.
    Unavailable(String),
    /// Refused what we sent (a 4xx other than 429): retrying would not help.
    Refused(u16),
    /// Answered with something we cannot read.
    Unreadable(String),
    /// No speech models at this provider.
    NoSpeech,
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unavailable(why) => write!(f, "model unavailable: {why}"),
            Self::Refused(status) => write!(f, "model refused the request ({status})"),
            Self::Unreadable(why) => write!(f, "model answer unreadable: {why}"),
            Self::NoSpeech => write!(f, "no speech models configured"),
        }
    }
}

/// POSTs `body` as JSON to `url`, retrying transport failures, 429 and 5xx answers (with a
/// short growing pause), each attempt within [`CALL_TIMEOUT`]; the first good answer.
async fn post(config: &ModelConfig, url: &str, body: &str) -> Result<worker::Response, ModelError> {
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            Delay::from(Duration::from_millis(250 * u64::from(attempt))).await;
        }
        let headers = Headers::new();
        let bearer = format!("Bearer {}", config.token);
        if headers.set("Authorization", &bearer).is_err()
            || headers.set("Content-Type", "application/json").is_err()
        {
            return Err(ModelError::Unavailable("headers".into()));
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let Ok(request) = Request::new_with_init(url, &init) else {
            return Err(ModelError::Unavailable("the model URL is not valid".into()));
        };
        match send_within(request, CALL_TIMEOUT).await {
            Err(NoResponse::TimedOut) => last = "timed out".into(),
            Err(NoResponse::Unreachable(err)) => last = format!("transport: {err}"),
            Ok(response) => {
                let status = response.status_code();
                if status == 429 || status >= 500 {
                    last = format!("status {status}");
                } else if status >= 400 {
                    return Err(ModelError::Refused(status));
                } else {
                    return Ok(response);
                }
            }
        }
    }
    Err(ModelError::Unavailable(last))
}

/// Starts a streamed chat completion: the server-sent events as they arrive (read them with
/// [`kbc_model::StreamDecoder`], each chunk within [`STREAM_IDLE`]).
pub async fn chat_stream(
    config: &ModelConfig,
    request: &ChatRequest,
) -> Result<ByteStream, ModelError> {
    let body = serde_json::to_string(request).map_err(|e| ModelError::Unreadable(e.to_string()))?;
    let mut response = post(config, &config.chat_url, &body).await?;
    response
        .stream()
        .map_err(|e| ModelError::Unreadable(e.to_string()))
}

/// The next chunk of a stream, within [`STREAM_IDLE`]; `None` at its end.
pub async fn next_chunk(stream: &mut ByteStream) -> Result<Option<Vec<u8>>, ModelError> {
    match within(STREAM_IDLE, stream.next()).await {
        None => Err(ModelError::Unavailable("the answer stalled".into())),
        Some(None) => Ok(None),
        Some(Some(Ok(bytes))) => Ok(Some(bytes)),
        Some(Some(Err(err))) => Err(ModelError::Unavailable(format!(
            "reading the answer: {err}"
        ))),
    }
}

/// A whole chat completion at once (for the cron workers' drafts).
pub async fn chat(config: &ModelConfig, request: &ChatRequest) -> Result<ChatResponse, ModelError> {
    let body = serde_json::to_string(request).map_err(|e| ModelError::Unreadable(e.to_string()))?;
    let mut response = post(config, &config.chat_url, &body).await?;
    let text = within(CALL_TIMEOUT, response.text())
        .await
        .ok_or_else(|| ModelError::Unavailable("the answer stalled".into()))?
        .map_err(|e| ModelError::Unreadable(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| ModelError::Unreadable(e.to_string()))
}

/// Workers AI's envelope around a model's result.
#[derive(Deserialize)]
struct Envelope<T> {
    result: Option<T>,
}

async fn run<T: serde::de::DeserializeOwned>(
    config: &ModelConfig,
    model: &str,
    input: serde_json::Value,
) -> Result<T, ModelError> {
    let base = config.run_url.as_deref().ok_or(ModelError::NoSpeech)?;
    let mut response = post(config, &format!("{base}{model}"), &input.to_string()).await?;
    let text = within(CALL_TIMEOUT, response.text())
        .await
        .ok_or_else(|| ModelError::Unavailable("the answer stalled".into()))?
        .map_err(|e| ModelError::Unreadable(e.to_string()))?;
    let envelope: Envelope<T> =
        serde_json::from_str(&text).map_err(|e| ModelError::Unreadable(e.to_string()))?;
    envelope
        .result
        .ok_or_else(|| ModelError::Unreadable("no result".into()))
}

/// What was said, and how long the recording was.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
    pub seconds: f64,
}

/// Speech to text of a recording (any format the model reads: WebM/Opus, Ogg, WAV, MP3, MP4).
pub async fn transcribe(config: &ModelConfig, audio: &[u8]) -> Result<Transcript, ModelError> {
    #[derive(Deserialize)]
    struct Info {
        duration: Option<f64>,
    }
    #[derive(Deserialize)]
    struct Whisper {
        text: String,
        transcription_info: Option<Info>,
    }
    use base64::Engine as _;
    let audio = base64::engine::general_purpose::STANDARD.encode(audio);
    let result: Whisper = run(config, SPEECH_TO_TEXT, json!({ "audio": audio })).await?;
    Ok(Transcript {
        text: result.text.trim().to_owned(),
        seconds: result
            .transcription_info
            .and_then(|i| i.duration)
            .unwrap_or_default(),
    })
}

/// Text to speech: MP3 bytes.
pub async fn speak(config: &ModelConfig, text: &str) -> Result<Vec<u8>, ModelError> {
    #[derive(Deserialize)]
    struct Melo {
        audio: String,
    }
    use base64::Engine as _;
    let result: Melo = run(
        config,
        TEXT_TO_SPEECH,
        json!({ "prompt": text, "lang": "en" }),
    )
    .await?;
    base64::engine::general_purpose::STANDARD
        .decode(result.audio.trim())
        .map_err(|e| ModelError::Unreadable(format!("audio: {e}")))
}
