//! `gazette preview`: a local page showing the HTML part at desktop and phone
//! widths beside the text part, with the check's findings; it reloads itself
//! when the draft or the config is saved.

use crate::cli::PreviewArgs;
use crate::config::Config;
use crate::draft::Draft;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::newsletter::{Loaded, Newsletter};
use crate::render::{self, escape_html};
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use maud::{DOCTYPE, Markup, PreEscaped, Render, html};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

struct Preview {
    newsletter: Newsletter,
    draft: PathBuf,
}

pub fn run(n: &Newsletter, args: PreviewArgs) -> Result<ExitStatus> {
    let draft = n.existing_draft(&args.draft)?;
    let state = Arc::new(Preview {
        newsletter: n.clone(),
        draft,
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the runtime"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .map_err(Error::io(format!(
                "cannot listen on 127.0.0.1:{}",
                args.port
            )))?;
        let addr = listener
            .local_addr()
            .map_err(Error::io("cannot read the bound address"))?;
        outln!("http://{addr}/")?;
        eprintln!(
            "gazette: previewing {} (Ctrl-C to stop)",
            args.draft.display()
        );
        let app = Router::new()
            .route("/", get(page))
            .route("/html", get(html_part))
            .route("/version", get(version))
            .with_state(state);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(Error::io("the preview server failed"))
    })?;
    Ok(ExitStatus::Ok)
}

/// The draft and config as they are on disk now.
fn current(p: &Preview) -> Result<(Newsletter, Loaded, Vec<Loaded>)> {
    let n = p.newsletter.reload()?;
    let loaded = n.load(&p.draft)?;
    let all = n.load_all()?;
    Ok((n, loaded, all))
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:16px;background:#eee} \
    .panes{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap} \
    iframe{border:1px solid #999;background:#fff} \
    pre.text{background:#fff;padding:12px;width:80ch;white-space:pre;overflow:auto;border:1px solid #999} \
    pre.findings,pre.errors{background:#fff8e1;padding:8px} pre.findings:empty{display:none}";

/// Polls `/version` every second and reloads the page when it changes.
const SCRIPT: &str = "let v=null;setInterval(async()=>{try{const r=await fetch('/version');\
    const t=await r.text();if(v!==null&&t!==v)location.reload();v=t;}catch(e){}},1000);";

/// Text escaped by [`escape_html`], which escapes `'` too where maud leaves it:
/// the text pane holds exactly `escape_html` of the text part (tests/compose.rs
/// looks for it).
struct Escaped<'a>(&'a str);

impl Render for Escaped<'_> {
    fn render_to(&self, buffer: &mut String) {
        buffer.push_str(&escape_html(self.0));
    }
}

fn error_page(e: &Error) -> Markup {
    let text = match e {
        Error::Diagnostics {
            file: source,
            diags,
        } => diags
            .iter()
            .map(|d| d.display(source).to_string())
            .collect(),
        other => format!("gazette: error: {other}\n"),
    };
    html! { pre.errors { (text) } }
}

async fn html_part(State(p): State<Arc<Preview>>) -> impl IntoResponse {
    let body = match current(&p) {
        Ok((n, loaded, _)) => match &loaded.parsed {
            Ok(parsed) => {
                render::render(&parsed.draft, &n.config)
                    .personalise(&render::sample_unsubscribe_url(&n.config))
                    .0
            }
            Err(diags) => error_page(&Error::Diagnostics {
                file: loaded.source.clone(),
                diags: diags.clone(),
            })
            .into_string(),
        },
        Err(e) => error_page(&e).into_string(),
    };
    Html(body)
}

/// Changes whenever the draft or the config is saved; the page polls it.
/// Both the modification time and the contents count, so that an edit shows
/// even where file times are coarse (a save within the same second).
async fn version(State(p): State<Arc<Preview>>) -> impl IntoResponse {
    let mut hasher = std::hash::DefaultHasher::new();
    for path in [
        p.draft.clone(),
        p.newsletter.root.join(crate::config::CONFIG_PATH),
    ] {
        let modified = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        modified.hash(&mut hasher);
        std::fs::read(&path).ok().hash(&mut hasher);
    }
    let v = hasher.finish();
    ([(header::CACHE_CONTROL, "no-store")], v.to_string())
}

async fn page(State(p): State<Arc<Preview>>) -> impl IntoResponse {
    let body = match current(&p) {
        Err(e) => error_page(&e),
        Ok((n, loaded, all)) => {
            let config: &Config = &n.config;
            let others: Vec<&Draft> = all
                .iter()
                .filter_map(|l| l.parsed.as_ref().ok().map(|p| &p.draft))
                .collect();
            let diags = n.findings(&loaded, &others, crate::clock::now().ok());
            let findings: String = diags
                .iter()
                .map(|d| d.display(&loaded.source).to_string())
                .collect();
            match &loaded.parsed {
                Err(_) => html! { pre.errors { (findings) } },
                Ok(parsed) => {
                    let draft = &parsed.draft;
                    let rendered = render::render(draft, config);
                    let (_, text) = rendered.personalise(&render::sample_unsubscribe_url(config));
                    let kb = render::encoded_html_size(&rendered.html) as f64 / 1024.0;
                    html! {
                        p.meta {
                            b { (draft.subject) }
                            " · HTML " (format!("{kb:.1}")) " KB of Gmail's ~102 KB clip limit · "
                            (diags.len()) " finding(s)"
                        }
                        pre.findings { (findings) }
                        div.panes {
                            div { h2 { "Desktop, 600px" } iframe src="/html" width="640" height="900" {} }
                            div { h2 { "Phone, 375px" } iframe src="/html" width="375" height="900" {} }
                            div { h2 { "Plain text" } pre.text { (Escaped(&text)) } }
                        }
                    }
                }
            }
        }
    };
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { "gazette preview" }
                    style { (PreEscaped(CSS)) }
                }
                body {
                    (body)
                    script { (PreEscaped(SCRIPT)) }
                }
            }
        }
        .into_string(),
    )
}
