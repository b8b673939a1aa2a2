//! The assistant behind the gate in [`crate::app`]: its page, conversations (start, rename,
//! delete), a turn (the person's message, the model's streamed answer and tool calls run in
//! the domain for the session's scope, repeated until it answers), a voice turn (speech to
//! text, the same turn, text to speech), and approving or rejecting a proposed change.
//! The model never decides rights: tools act within the scope the gate checked, and a change
//! is only a card until its person approves it.

use crate::console::{notice, publish};
use crate::owner;
use crate::respond::{self, Allow, not_found, page_allowing, redirect};
use crate::routes::AssistantRoute;
use futures_channel::mpsc::{UnboundedSender, unbounded};
use futures_util::StreamExt;
use kbc_console::chrome::{Notice, Viewer};
use kbc_console::pages::{self, AssistantPage, AssistantView, BusinessNav};
use kbc_domain::accounts::Session;
use kbc_domain::assistant::actions::{self, Refusal};
use kbc_domain::assistant::conversations::{self, Conversation, Message, NewMessage};
use kbc_domain::assistant::proposals::Executed;
use kbc_domain::assistant::{Scope, tools};
use kbc_domain::db::d1::D1;
use kbc_domain::edits::AuthorKind;
use kbc_domain::error::DomainError;
use kbc_domain::hours;
use kbc_edge::http::{header, set};
use kbc_edge::model::{self, ModelConfig, ModelError};
use kbc_edge::runtime;
use kbc_model::wire::FunctionKind;
use kbc_model::{ChatRequest, StreamDecoder, StreamEvent, StreamOptions, ToolCall};
use kbc_site::forms::Form;
use serde_json::json;
use worker::{Env, Request, Response, console_error};

/// Model rounds in one turn: tool calls answered, then asked again.
const MOST_ROUNDS: usize = 4;
/// The messages of a conversation the model sees (the latest).
const HISTORY: usize = 40;
/// Each person's model tokens per day, unless `ASSISTANT_DAILY_TOKENS` says otherwise.
const DEFAULT_DAILY_TOKENS: i64 = 200_000;
/// The longest recording accepted, in bytes (about a minute of Opus) and seconds.
pub const MAX_AUDIO_BYTES: usize = 2 * 1024 * 1024;
const MAX_AUDIO_SECONDS: f64 = 60.0;
/// The most of an answer read aloud.
const MOST_SPOKEN_CHARACTERS: usize = 600;

const NOT_CONFIGURED: &str =
    "The assistant is not set up here yet. Everything else in the dashboard works as usual.";
const BUDGET_SPENT: &str = "You have used today's assistant allowance; it renews at midnight \
     (Central time). Everything else in the dashboard works as usual.";
const MODEL_DOWN: &str = "The assistant is not answering right now. Try again in a few minutes; \
     everything else in the dashboard works as usual.";

/// Where the assistant is and for whom.
struct Place {
    scope: Scope,
    base: String,
}

impl Place {
    fn of(session: &Session, business: Option<i64>, kind: Option<AuthorKind>) -> Self {
        match business {
            Some(id) => Self {
                scope: Scope::business(session.actor(), kind.unwrap_or(AuthorKind::Owner), id),
                base: format!("/dashboard/{id}/assistant"),
            },
            None => Self {
                scope: Scope::console(session.actor()),
                base: "/admin/assistant".into(),
            },
        }
    }
}

/// The assistant's pages allow its script, the microphone, fetching its own answers and
/// playing the spoken answer.
fn assistant_page(status: u16, page: &AssistantPage) -> Response {
    let allow = Allow {
        scripts: true,
        voice: true,
        ..Allow::default()
    };
    page_allowing(status, page, allow)
}

fn daily_tokens(env: &Env) -> i64 {
    runtime::var(env, "ASSISTANT_DAILY_TOKENS")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_DAILY_TOKENS)
}

/// Why the assistant cannot answer this person now, if it cannot.
async fn unavailable(env: &Env, db: &D1, session: &Session, now: i64) -> Option<&'static str> {
    if ModelConfig::from_env(env).is_none() {
        return Some(NOT_CONFIGURED);
    }
    match conversations::used_today(db, session.user_id, now).await {
        Ok(used) if used >= daily_tokens(env) => Some(BUDGET_SPENT),
        Ok(_) => None,
        Err(_) => Some(MODEL_DOWN),
    }
}

/// GET routes of the assistant.
pub async fn read(
    route: AssistantRoute,
    env: &Env,
    req: &Request,
    db: &D1,
    session: &Session,
    business: Option<i64>,
    kind: Option<AuthorKind>,
) -> Response {
    let place = Place::of(session, business, kind);
    let conversation = match route {
        AssistantRoute::Home => None,
        AssistantRoute::Conversation(id) => Some(id),
        _ => return not_found(Some(Viewer::of(session))),
    };
    render(env, db, session, &place, conversation, notice(req), 200)
        .await
        .unwrap_or_else(|err| crate::console::failed(&err, Viewer::of(session)))
}

async fn render(
    env: &Env,
    db: &D1,
    session: &Session,
    place: &Place,
    conversation: Option<i64>,
    notice: Option<Notice>,
    status: u16,
) -> Result<Response, DomainError> {
    let now = runtime::now();
    let current = match conversation {
        Some(id) => {
            let conversation = conversations::open(db, &place.scope, id).await?;
            let messages = conversations::messages(db, &conversation).await?;
            let actions = actions::of_conversation(db, conversation.id).await?;
            Some((conversation, messages, actions))
        }
        None => None,
    };
    let nav = match place.scope.business {
        Some(id) => {
            let listing = pages::listing(db, id).await?;
            Some(
                BusinessNav::load(
                    db,
                    session.user_id,
                    &listing,
                    &runtime::site_origin(env),
                    "assistant",
                )
                .await?,
            )
        }
        None => None,
    };
    let view = AssistantView {
        viewer: Viewer::of(session),
        nav,
        base: place.base.clone(),
        conversations: conversations::list(db, &place.scope).await?,
        current,
        unavailable: unavailable(env, db, session, now).await.map(str::to_owned),
        voice: ModelConfig::from_env(env).is_some_and(|c| c.has_speech()),
        notice,
        now,
    };
    Ok(assistant_page(status, &AssistantPage::new(view)))
}

/// POST routes of the assistant, the form (or, for a recording, its token) already checked.
#[allow(clippy::too_many_arguments)]
pub async fn change(
    route: AssistantRoute,
    env: &Env,
    req: &Request,
    form: &Form,
    audio: Option<Vec<u8>>,
    db: &D1,
    session: &Session,
    business: Option<i64>,
    kind: Option<AuthorKind>,
) -> Response {
    let place = Place::of(session, business, kind);
    let viewer = Viewer::of(session);
    let now = runtime::now();
    let outcome = match route {
        AssistantRoute::Start => conversations::start(db, &place.scope, now)
            .await
            .map(|id| redirect(&format!("{}/{id}", place.base)))
            .map_err(DomainError::from),
        AssistantRoute::Rename(id) => {
            match conversations::rename(db, &place.scope, id, form.get("title"), now).await {
                Ok(()) => Ok(redirect(&format!("{}/{id}?done=renamed", place.base))),
                Err(DomainError::Invalid(errors)) => {
                    let text = actions::failure_message(&DomainError::Invalid(errors));
                    let notice = Notice {
                        ok: false,
                        text: format!("Not renamed: the title {text}."),
                    };
                    render(env, db, session, &place, Some(id), Some(notice), 422).await
                }
                Err(err) => Err(err),
            }
        }
        AssistantRoute::Delete(id) => conversations::delete(db, &place.scope, id)
            .await
            .map(|()| redirect(&format!("{}?done=deleted", place.base))),
        AssistantRoute::Approve(id) => approve(env, db, &place, id, now).await,
        AssistantRoute::Reject(id) => reject(db, &place, id, now).await,
        AssistantRoute::Conversation(id) => send(env, req, form, db, session, place, id, now).await,
        AssistantRoute::Voice(id) => Ok(voice(env, audio, db, session, place, id, now).await),
        AssistantRoute::Home => Ok(not_found(Some(viewer.clone()))),
    };
    outcome.unwrap_or_else(|err| crate::console::failed(&err, viewer))
}

async fn conversation_of_action(db: &D1, place: &Place, id: i64) -> Result<i64, DomainError> {
    actions::find(db, &place.scope, id)
        .await?
        .map(|a| a.conversation_id)
        .ok_or_else(|| DomainError::NotFound("action".into()))
}

async fn approve(
    env: &Env,
    db: &D1,
    place: &Place,
    id: i64,
    now: i64,
) -> Result<Response, DomainError> {
    let conversation = conversation_of_action(db, place, id).await?;
    let back = |done: &str| {
        redirect(&format!(
            "{}/{conversation}?done={done}#action-{id}",
            place.base
        ))
    };
    let (claimed, executed) = match actions::approve(db, &place.scope, id, now).await? {
        Ok(approved) => approved,
        Err(Refusal::Expired) => return Ok(back("assistant-expired")),
        Err(Refusal::Decided(_)) => return Ok(back("assistant-already")),
    };
    match executed {
        Ok(Executed::Done(_)) => {
            publish(env, db).await;
            Ok(back("assistant-approved"))
        }
        Ok(Executed::PublishPage) => {
            let business = place.scope.business.unwrap_or_default();
            let published =
                owner::publish_page(env, db, business, Some(place.scope.actor.user_id), now).await;
            let outcome = match &published {
                Ok(number) => Ok(format!("Version {number} of your page is public.")),
                Err(err) => Err(actions::failure_message(err)),
            };
            let recorded = match &outcome {
                Ok(message) => actions::finish(db, &claimed, Ok(message)).await,
                Err(message) => actions::finish(db, &claimed, Err(message)).await,
            };
            if let Err(err) = recorded {
                console_error!("recording an assistant action's outcome: {err}");
            }
            Ok(back(if outcome.is_ok() {
                "assistant-approved"
            } else {
                "assistant-failed"
            }))
        }
        Err(_) => Ok(back("assistant-failed")),
    }
}

async fn reject(db: &D1, place: &Place, id: i64, now: i64) -> Result<Response, DomainError> {
    let conversation = conversation_of_action(db, place, id).await?;
    let done = match actions::reject(db, &place.scope, id, now).await? {
        Ok(()) => "assistant-rejected",
        Err(Refusal::Expired) => "assistant-expired",
        Err(Refusal::Decided(_)) => "assistant-already",
    };
    Ok(redirect(&format!(
        "{}/{conversation}?done={done}#action-{id}",
        place.base
    )))
}

/// Where a turn's progress goes: server-sent events to the page's script, or nowhere (a
/// form post without script, a voice turn).
struct Sink(Option<UnboundedSender<Vec<u8>>>);

impl Sink {
    fn emit(&self, event: &str, data: serde_json::Value) {
        if let Some(sender) = &self.0 {
            // The page went away: the turn still finishes and is stored.
            let _ = sender.unbounded_send(format!("event: {event}\ndata: {data}\n\n").into_bytes());
        }
    }
}

/// What a turn produced.
struct Answer {
    text: String,
    actions: usize,
}

/// The system prompt: who the assistant serves and the rules it cannot change anyway.
fn instructions(business_name: Option<&str>, now: i64) -> String {
    let (year, month, day) = hours::local_date(now);
    let today = format!("{year}-{month:02}-{day:02}");
    let role = match business_name {
        Some(name) => format!(
            "You are the assistant of the owner of \"{name}\", a listing on Kiamichi Biz Connect, the business \
             directory of Southeast Oklahoma, Northeast Texas and Southwest Arkansas. Help them keep the listing, \
             hours, page and posts right, and understand their leads and analytics."
        ),
        None => "You are the assistant of the admins of Kiamichi Biz Connect, a business directory. Help them \
                 with moderation summaries and blog post drafts."
            .to_owned(),
    };
    format!(
        "{role} Today is {today} (Central time). Use the tools to read before you answer; never guess data. \
         Changes are proposals the person approves on a card: say so, and do not claim a change is made. \
         Answer briefly and plainly. {}",
        tools::DATA_NOTICE
    )
}

/// The stored conversation as the model reads it: the latest messages, never starting with a
/// tool result whose call fell out of the window.
fn history(messages: &[Message]) -> Vec<kbc_model::Message> {
    let start = messages.len().saturating_sub(HISTORY);
    let window = messages.get(start..).unwrap_or_default();
    let first_said = window
        .iter()
        .position(|m| m.role == "user")
        .unwrap_or(window.len());
    window
        .get(first_said..)
        .unwrap_or_default()
        .iter()
        .map(|m| match m.role.as_str() {
            "user" => kbc_model::Message::user(m.content.clone()),
            "tool" => kbc_model::Message::tool_result(
                m.tool_call_id.clone().unwrap_or_default(),
                m.content.clone(),
            ),
            _ => match m
                .tool_calls
                .as_deref()
                .and_then(|calls| serde_json::from_str::<Vec<ToolCall>>(calls).ok())
            {
                Some(calls) => {
                    let mut message = kbc_model::Message::assistant_calls(calls);
                    message.content = (!m.content.is_empty()).then(|| m.content.clone());
                    message
                }
                None => kbc_model::Message::assistant(m.content.clone()),
            },
        })
        .collect()
}

/// One turn: the person's message stored, then model rounds until it answers in words
/// (tool calls run for the scope and their results stored between rounds).
/// What a turn works with.
struct Turn<'a> {
    env: &'a Env,
    db: &'a D1,
    config: &'a ModelConfig,
    scope: &'a Scope,
    conversation: &'a Conversation,
}

async fn turn(t: Turn<'_>, said: &str, voice: bool, sink: &Sink) -> Result<Answer, &'static str> {
    let Turn {
        env,
        db,
        config,
        scope,
        conversation,
    } = t;
    let now = runtime::now();
    if conversations::append(db, conversation, &[NewMessage::user(said, voice)], now)
        .await
        .is_err()
    {
        return Err(MODEL_DOWN);
    }
    let business_name = match scope.business {
        Some(id) => pages::listing(db, id).await.ok().map(|l| l.name),
        None => None,
    };
    let system = kbc_model::Message::system(instructions(business_name.as_deref(), now));
    let budget = daily_tokens(env);
    let mut proposed = 0;
    for _ in 0..MOST_ROUNDS {
        let stored = conversations::messages(db, conversation)
            .await
            .map_err(|_| MODEL_DOWN)?;
        let mut messages = vec![system.clone()];
        messages.extend(history(&stored));
        let prompt_chars: usize = messages
            .iter()
            .map(|m| m.content.as_deref().map_or(0, str::len))
            .sum();
        let request = ChatRequest {
            model: config.model.clone(),
            messages,
            tools: tools::catalogue(scope),
            tool_choice: None,
            stream: true,
            max_tokens: Some(800),
            temperature: Some(0.2),
            stream_options: Some(StreamOptions {
                include_usage: true,
            }),
        };
        let mut stream = match model::chat_stream(config, &request).await {
            Ok(stream) => stream,
            Err(err) => {
                log_model_error(&err);
                return Err(MODEL_DOWN);
            }
        };
        let mut decoder = StreamDecoder::new();
        let mut text = String::new();
        let mut calls: Vec<ToolCall> = Vec::new();
        let mut tokens: Option<u32> = None;
        'reading: loop {
            let chunk = match model::next_chunk(&mut stream).await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(err) => {
                    log_model_error(&err);
                    return Err(MODEL_DOWN);
                }
            };
            for event in decoder.push(&chunk) {
                match event {
                    StreamEvent::Text(delta) => {
                        sink.emit("delta", json!({ "text": delta }));
                        text.push_str(&delta);
                    }
                    StreamEvent::ToolCallsReady(ready) => calls.extend(ready),
                    StreamEvent::Usage(usage) => tokens = Some(usage.total_tokens),
                    StreamEvent::Done => break 'reading,
                    StreamEvent::Malformed(why) => {
                        console_error!("assistant: a malformed stream event: {why}");
                    }
                }
            }
        }
        // A provider that reports no usage is counted by size (about four characters a token).
        let spent = tokens
            .unwrap_or_else(|| u32::try_from((prompt_chars + text.len()) / 4).unwrap_or(u32::MAX));
        if let Err(err) = conversations::add_usage(db, scope.actor.user_id, spent, now).await {
            console_error!("assistant: counting usage: {err}");
        }
        let calls: Vec<ToolCall> = calls
            .into_iter()
            .map(|mut call| {
                call.kind = FunctionKind::Function;
                call
            })
            .collect();
        if calls.is_empty() {
            if let Err(err) = conversations::append(
                db,
                conversation,
                &[NewMessage::assistant(&text, None)],
                runtime::now(),
            )
            .await
            {
                console_error!("assistant: storing an answer: {err}");
            }
            return Ok(Answer {
                text,
                actions: proposed,
            });
        }
        let mut stored = vec![NewMessage::assistant(
            &text,
            serde_json::to_string(&calls).ok(),
        )];
        for call in &calls {
            let outcome = tools::run(
                db,
                scope,
                conversation.id,
                &call.function.name,
                &call.function.arguments,
                runtime::now(),
            )
            .await;
            if let Some(action) = outcome.action {
                proposed += 1;
                sink.emit("action", json!({ "id": action }));
            }
            stored.push(NewMessage::tool(&call.id, &outcome.content));
        }
        if conversations::append(db, conversation, &stored, runtime::now())
            .await
            .is_err()
        {
            return Err(MODEL_DOWN);
        }
        if conversations::used_today(db, scope.actor.user_id, runtime::now())
            .await
            .is_ok_and(|used| used >= budget)
        {
            return Err(BUDGET_SPENT);
        }
    }
    Ok(Answer {
        text: "I could not finish that in one go; the cards above show what I prepared.".into(),
        actions: proposed,
    })
}

fn log_model_error(err: &ModelError) {
    // The kind of failure only: never a prompt, an answer or a token.
    console_error!("assistant: {err}");
}

/// A message to a conversation: streamed back as server-sent events when the page's script
/// asks for them, otherwise answered in full and shown on the conversation's page.
#[allow(clippy::too_many_arguments)]
async fn send(
    env: &Env,
    req: &Request,
    form: &Form,
    db: &D1,
    session: &Session,
    place: Place,
    id: i64,
    now: i64,
) -> Result<Response, DomainError> {
    let conversation = conversations::open(db, &place.scope, id).await?;
    let streamed = header(req, "Accept").is_some_and(|a| a.contains("text/event-stream"));
    let here = &place;
    let refuse = |status: u16, text: String| async move {
        if streamed {
            return Ok(event_stream_of(
                vec![("error", json!({ "message": text }))],
                status,
            ));
        }
        let notice = Notice { ok: false, text };
        render(env, db, session, here, Some(id), Some(notice), status).await
    };
    let said = match conversations::parse_message(form.get("message")) {
        Ok(said) => said,
        Err(err) => return refuse(422, format!("Not sent: the message {}.", err.message)).await,
    };
    let Some(config) = ModelConfig::from_env(env) else {
        return refuse(503, NOT_CONFIGURED.into()).await;
    };
    if let Some(why) = unavailable(env, db, session, now).await {
        return refuse(429, why.into()).await;
    }
    if !streamed {
        let sink = Sink(None);
        let t = Turn {
            env,
            db,
            config: &config,
            scope: &place.scope,
            conversation: &conversation,
        };
        let answer = turn(t, &said, false, &sink).await;
        return Ok(match answer {
            Ok(_) => redirect(&format!("{}/{id}#assistant-composer", place.base)),
            Err(why) => {
                let notice = Notice {
                    ok: false,
                    text: why.into(),
                };
                render(env, db, session, &place, Some(id), Some(notice), 503).await?
            }
        });
    }
    let (sender, receiver) = unbounded::<Vec<u8>>();
    let env = env.clone();
    let scope = place.scope.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let sink = Sink(Some(sender));
        let Ok(db) = runtime::database(&env) else {
            sink.emit("error", json!({ "message": MODEL_DOWN }));
            return;
        };
        let t = Turn {
            env: &env,
            db: &db,
            config: &config,
            scope: &scope,
            conversation: &conversation,
        };
        match turn(t, &said, false, &sink).await {
            Ok(answer) => sink.emit("done", json!({ "actions": answer.actions })),
            Err(why) => sink.emit("error", json!({ "message": why })),
        }
    });
    let response = Response::from_stream(receiver.map(Ok::<Vec<u8>, worker::Error>))
        .map_err(|e| DomainError::Database(kbc_domain::db::DbError(e.to_string())))?;
    Ok(as_event_stream(response, 200))
}

fn as_event_stream(response: Response, status: u16) -> Response {
    let response = response.with_status(status);
    set(
        &response,
        "Content-Type",
        "text/event-stream; charset=utf-8",
    );
    respond::secure(&response);
    response
}

/// A short stream of events known at once (a refusal).
fn event_stream_of(events: Vec<(&str, serde_json::Value)>, status: u16) -> Response {
    let body: String = events
        .into_iter()
        .map(|(event, data)| format!("event: {event}\ndata: {data}\n\n"))
        .collect();
    as_event_stream(
        runtime::text_response(status, body, "text/event-stream"),
        status,
    )
}

fn voice_error(status: u16, message: &str) -> Response {
    let response = runtime::json(status, &json!({ "error": message }));
    respond::secure(&response);
    response
}

/// A spoken message: transcribed, answered like a typed one, and the answer spoken back.
async fn voice(
    env: &Env,
    audio: Option<Vec<u8>>,
    db: &D1,
    session: &Session,
    place: Place,
    id: i64,
    now: i64,
) -> Response {
    let Ok(conversation) = conversations::open(db, &place.scope, id).await else {
        return voice_error(404, "There is no such conversation.");
    };
    let Some(audio) = audio.filter(|a| !a.is_empty()) else {
        return voice_error(
            422,
            "The recording was empty; hold the button while you speak.",
        );
    };
    let Some(config) = ModelConfig::from_env(env).filter(ModelConfig::has_speech) else {
        return voice_error(503, NOT_CONFIGURED);
    };
    if let Some(why) = unavailable(env, db, session, now).await {
        return voice_error(429, why);
    }
    let transcript = match model::transcribe(&config, &audio).await {
        Ok(transcript) => transcript,
        Err(err) => {
            log_model_error(&err);
            return voice_error(503, MODEL_DOWN);
        }
    };
    if transcript.seconds > MAX_AUDIO_SECONDS {
        return voice_error(
            422,
            "That recording is longer than a minute; keep it shorter.",
        );
    }
    if transcript.text.is_empty() {
        return voice_error(
            422,
            "We could not hear anything in that recording; try again.",
        );
    }
    let sink = Sink(None);
    let t = Turn {
        env,
        db,
        config: &config,
        scope: &place.scope,
        conversation: &conversation,
    };
    let answer = match turn(t, &transcript.text, true, &sink).await {
        Ok(answer) => answer,
        Err(why) => return voice_error(503, why),
    };
    let spoken: String = answer.text.chars().take(MOST_SPOKEN_CHARACTERS).collect();
    let audio = if spoken.trim().is_empty() {
        None
    } else {
        match model::speak(&config, &spoken).await {
            Ok(bytes) => {
                use base64::Engine as _;
                Some(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
            Err(err) => {
                // The answer still shows as text.
                log_model_error(&err);
                None
            }
        }
    };
    let response = runtime::json(
        200,
        &json!({
            "transcript": transcript.text,
            "answer": answer.text,
            "audio": audio,
            "audio_type": "audio/mpeg",
            "actions": answer.actions,
        }),
    );
    respond::secure(&response);
    response
}

/// Reads a recording sent by the page's script: refused by its declared length before a
/// byte is read, audio types only; the CSRF token travels in a header (the body is audio).
pub async fn read_audio(req: &mut Request) -> Result<(Form, Vec<u8>), Response> {
    let length = header(req, "Content-Length").and_then(|l| l.trim().parse::<usize>().ok());
    match length {
        None => return Err(voice_error(411, "Send the recording from the page.")),
        Some(length) if length > MAX_AUDIO_BYTES => {
            return Err(voice_error(
                413,
                "That recording is too long; keep it under a minute.",
            ));
        }
        Some(_) => {}
    }
    let is_audio = header(req, "Content-Type")
        .is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("audio/"));
    if !is_audio {
        return Err(voice_error(415, "Send a recording (audio)."));
    }
    let bytes = match kbc_edge::http::read_body(req, MAX_AUDIO_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return Err(voice_error(
                413,
                "That recording is too long; keep it under a minute.",
            ));
        }
    };
    let mut fields = url::form_urlencoded::Serializer::new(String::new());
    fields.append_pair("csrf", &header(req, "X-CSRF-Token").unwrap_or_default());
    Ok((Form::parse(fields.finish().as_bytes()), bytes))
}
