//! `placard serve`: build the site into memory, answer HTTP requests from that map, watch the
//! site's files, rebuild on change and tell open pages to reload (or, for a CSS-only change, to
//! swap their stylesheets). A failed rebuild keeps the last good output and shows its errors on
//! every page until it is fixed.
//!
//! Threads: the HTTP server on a small tokio runtime; file events from notify (raw, settled by
//! the watcher) into a rebuild thread, which runs the same pipeline as `build` (minus `write`)
//! once per save, unchanged files' pages coming from its cache (`cache.rs`), and publishes a
//! new snapshot. Nothing here prints: what happens is reported through the caller's callback.

mod cache;
mod events;
pub mod http;
mod state;
mod watch;

use crate::build::{BuildError, BuildOptions};
use crate::diagnostic::Diagnostic;
use crate::parse::Mode;
use crate::render::Outputs;
use crate::slug::OutputPath;
use state::{Shared, Signal, Snapshot};
use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tokio::sync::broadcast;

/// How to serve.
pub struct ServeOptions {
    /// Root, drafts and as-of as for a build; the output folder is not used (nothing is written)
    /// and the base URL becomes the server's address.
    pub build: BuildOptions,
    pub bind: IpAddr,
    /// 0 for any free port; otherwise this port, or the next free one after it.
    pub port: u16,
}

/// What the server tells its caller (the command line prints it).
pub enum ServeEvent<'a> {
    /// Listening at `url`; `instead_of` is the port asked for when it was taken.
    Listening {
        url: &'a str,
        instead_of: Option<u16>,
    },
    /// Files changed; a rebuild starts.
    Changed { paths: &'a [String] },
    /// A build succeeded.
    Built {
        pages: usize,
        millis: u128,
        warnings: &'a [Diagnostic],
        /// Drafts not shown (serve without `--drafts`) that were not named before: all of them
        /// after the first build, then each new one (a page made with `placard new` is a draft).
        new_drafts: &'a [String],
    },
    /// A build failed; the last good output is still served, with these errors on every page.
    Failed {
        millis: u128,
        diagnostics: &'a [Diagnostic],
    },
}

/// Serves the site until the process is stopped. Returns only on a startup failure.
pub fn serve<R>(opts: ServeOptions, report: R) -> Result<(), BuildError>
where
    R: Fn(ServeEvent<'_>) + Send + Sync + 'static,
{
    let (listener, instead_of) = bind(opts.bind, opts.port)?;
    let addr = listener
        .local_addr()
        .map_err(|e| BuildError::Environment(format!("cannot read the bound address: {e}")))?;
    let host = match addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    let url = format!("http://{host}:{}/", addr.port());
    let mut build = opts.build;
    build.base_url = Some(url.clone());
    let hosts = allowed_hosts(addr);

    let shared = Arc::new(Shared {
        state: RwLock::new(Arc::new(Snapshot {
            outputs: Arc::new(Outputs::new()),
            overlay: None,
            version: 0,
            not_live: Arc::default(),
        })),
        signals: broadcast::channel(64).0,
        hosts,
    });
    let report = Arc::new(report);

    // The first build; bad command-line values end here, anything else is shown in the browser.
    let mut builder = Builder {
        opts: build,
        shared: Arc::clone(&shared),
        cache: cache::ParseCache::default(),
        drafts_said: BTreeSet::new(),
    };
    if let Err(BuildError::Usage(m)) = builder.rebuild(&BTreeSet::new(), &*report) {
        return Err(BuildError::Usage(m));
    }

    let watcher = watch::Watcher::start(&builder.opts.root, builder.opts.output_dir())
        .map_err(BuildError::Environment)?;
    let rebuild_report = Arc::clone(&report);
    std::thread::Builder::new()
        .name("placard-rebuild".into())
        .spawn(move || {
            for changed in watcher {
                rebuild_report(ServeEvent::Changed {
                    paths: &changed.iter().cloned().collect::<Vec<_>>(),
                });
                let _ = builder.rebuild(&changed, &*rebuild_report);
            }
        })
        .map_err(|e| BuildError::Environment(format!("cannot start the rebuild thread: {e}")))?;

    report(ServeEvent::Listening {
        url: &url,
        instead_of,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .thread_name("placard-http")
        .build()
        .map_err(|e| BuildError::Environment(format!("cannot start the server: {e}")))?;
    runtime.block_on(async move {
        listener
            .set_nonblocking(true)
            .map_err(|e| BuildError::Environment(e.to_string()))?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| BuildError::Environment(e.to_string()))?;
        let app = axum::Router::new()
            .fallback(http::handle)
            .with_state(shared);
        axum::serve(listener, app)
            .await
            .map_err(|e| BuildError::Environment(format!("the server stopped: {e}")))
    })
}

/// Binds `ip:port`; when the port is taken, the next free one (up to 20 further).
fn bind(ip: IpAddr, port: u16) -> Result<(TcpListener, Option<u16>), BuildError> {
    let mut last = None;
    let tries = if port == 0 { 1 } else { 21 };
    for offset in 0..tries {
        let Some(p) = port.checked_add(offset) else {
            break;
        };
        match TcpListener::bind(SocketAddr::new(ip, p)) {
            Ok(l) => return Ok((l, (offset > 0).then_some(port))),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => {
                return Err(BuildError::Environment(format!(
                    "cannot listen on {}: {e}",
                    SocketAddr::new(ip, p)
                )));
            }
        }
    }
    Err(BuildError::Environment(format!(
        "cannot listen on {ip}: ports {port} to {} are taken ({})",
        port.saturating_add(tries - 1),
        last.map_or_else(String::new, |e| e.to_string())
    )))
}

fn allowed_hosts(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "[::1]".to_string(),
    ];
    let bound = match addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    if !names.contains(&bound) {
        names.push(bound);
    }
    let mut hosts: Vec<String> = names.iter().map(|n| format!("{n}:{port}")).collect();
    if port == 80 {
        hosts.extend(names);
    }
    hosts
}

/// Runs builds and publishes their outputs.
struct Builder {
    opts: BuildOptions,
    shared: Arc<Shared>,
    /// Pages parsed by earlier builds: only changed files are read and parsed again.
    cache: cache::ParseCache,
    /// The drafts the terminal was told about.
    drafts_said: BTreeSet<String>,
}

impl Builder {
    /// Rebuilds after `changed`, in one pass: the pages showing outputs that changed reload.
    fn rebuild(
        &mut self,
        changed: &BTreeSet<String>,
        report: &dyn Fn(ServeEvent<'_>),
    ) -> Result<(), BuildError> {
        let started = Instant::now();
        let previous = self.shared.snapshot();
        let version = previous.version + 1;
        match crate::build::render_site(&self.opts, Mode::Build, Some(&mut self.cache)) {
            Ok(rendered) => {
                let site = &rendered.prepared.site;
                let drafts: BTreeSet<String> = site
                    .not_live
                    .iter()
                    .filter(|n| n.why == crate::assemble::routes::Absence::Draft)
                    .map(|n| n.source.clone())
                    .collect();
                let new_drafts: Vec<String> =
                    drafts.difference(&self.drafts_said).cloned().collect();
                self.drafts_said = drafts;
                report(ServeEvent::Built {
                    pages: site.page_count(),
                    millis: started.elapsed().as_millis(),
                    warnings: &rendered.prepared.diagnostics,
                    new_drafts: &new_drafts,
                });
                let outputs = Arc::new(rendered.outputs);
                let signal = if previous.overlay.is_some() || previous.version == 0 {
                    Some(Signal::Reload {
                        version,
                        paths: None,
                    })
                } else {
                    // Outputs changed, added or removed (compared once: on a big site this is
                    // most of the work after rendering).
                    let paths: Vec<String> = previous
                        .outputs
                        .iter()
                        .filter(|(k, v)| outputs.get(*k) != Some(*v))
                        .map(|(k, _)| k.to_string())
                        .chain(
                            outputs
                                .keys()
                                .filter(|k| !previous.outputs.contains_key(*k))
                                .map(|k| k.to_string()),
                        )
                        .collect();
                    if paths.is_empty() {
                        None
                    } else if let Some(swaps) = css_swaps(changed, &previous.outputs, &outputs) {
                        Some(Signal::Css { version, swaps })
                    } else {
                        Some(Signal::Reload {
                            version,
                            paths: Some(paths),
                        })
                    }
                };
                self.shared.publish(
                    Snapshot {
                        outputs,
                        overlay: None,
                        version,
                        not_live: Arc::new(not_live_notices(site, &self.opts)),
                    },
                    signal,
                );
                Ok(())
            }
            Err(e) => {
                let diagnostics = match &e {
                    BuildError::Content(d) => d.clone(),
                    BuildError::Usage(m) | BuildError::Environment(m) => {
                        vec![Diagnostic::error(m.clone())]
                    }
                };
                report(ServeEvent::Failed {
                    millis: started.elapsed().as_millis(),
                    diagnostics: &diagnostics,
                });
                self.shared.publish(
                    Snapshot {
                        outputs: Arc::clone(&previous.outputs),
                        overlay: Some(overlay(&diagnostics)),
                        version,
                        not_live: Arc::clone(&previous.not_live),
                    },
                    Some(Signal::Reload {
                        version,
                        paths: None,
                    }),
                );
                Err(e)
            }
        }
    }
}

/// What the 404 page at each not-live page's address says (HTML): what the page is, why it is
/// not shown, and the command that shows it.
fn not_live_notices(site: &crate::assemble::Site, opts: &BuildOptions) -> HashMap<String, String> {
    use crate::assemble::routes::Absence;
    use crate::text::escape;
    site.not_live
        .iter()
        .map(|n| {
            let source = escape(&n.source);
            let mut why = match &n.why {
                Absence::Draft => format!(
                    "<code>{source}</code> is a draft, and drafts are not shown: run <code>placard serve --drafts</code> to see it."
                ),
                Absence::Embargoed(until) => {
                    let until = escape(until);
                    format!(
                        "<code>{source}</code> is embargoed until {until}: run <code>placard serve --as-of {until}</code> to see it as it will be then."
                    )
                }
                Absence::Expired => format!(
                    "<code>{source}</code> has expired (its <code>expire_at</code> has passed), so it is not shown."
                ),
                Absence::Section(section) => format!(
                    "<code>{source}</code> is in the section of <code>{}</code>, which is not live, so it is not shown.",
                    escape(section)
                ),
            };
            if opts.as_of.is_some() {
                why.push_str(" (This preview shows the site as of the time given to <code>--as-of</code>.)");
            }
            (crate::slug::output_file(&n.path), why)
        })
        .collect()
}

/// When every changed file is a stylesheet and the only outputs that differ are stylesheets
/// (renamed by their new content hash) and the pages naming them, the (old URL, new URL) pairs.
fn css_swaps(
    changed: &BTreeSet<String>,
    old: &Outputs,
    new: &Outputs,
) -> Option<Vec<(String, String)>> {
    if changed.is_empty()
        || !changed
            .iter()
            .all(|p| p.to_ascii_lowercase().ends_with(".css"))
    {
        return None;
    }
    let stem = |path: &str| -> String {
        // css/main.1a2b3c4d.css → css/main.css
        let (dir_and_name, ext) = path.rsplit_once('.').unwrap_or((path, ""));
        let base = dir_and_name
            .rsplit_once('.')
            .map_or(dir_and_name, |(b, _)| b);
        format!("{base}.{ext}")
    };
    let gone: Vec<&OutputPath> = old
        .keys()
        .filter(|k| k.ends_with(".css") && !new.contains_key(*k))
        .collect();
    let came: Vec<&OutputPath> = new
        .keys()
        .filter(|k| k.ends_with(".css") && !old.contains_key(*k))
        .collect();
    if gone.is_empty() || gone.len() != came.len() {
        return None;
    }
    let mut swaps = Vec::new();
    for g in gone {
        let c = came.iter().find(|c| stem(c) == stem(g))?;
        swaps.push((format!("/{g}"), format!("/{c}")));
    }
    Some(swaps)
}

/// The error overlay: every diagnostic as the terminal shows it, escaped, on top of the page.
fn overlay(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let mut html = String::from(
        "<div id=\"placard-overlay\" role=\"alert\" style=\"position:fixed;inset:0;z-index:2147483647;overflow:auto;\
         background:rgba(11,12,12,.92);color:#fff;font:16px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:2rem\">",
    );
    html.push_str(&format!(
        "<h2 style=\"margin:0 0 1rem;font:700 1.4rem/1.3 system-ui,sans-serif;color:#ffdd00\">The last rebuild failed with {errors} error{}. \
         This is the last good version of the page; fix the file and it reloads by itself.</h2>",
        if errors == 1 { "" } else { "s" }
    ));
    for d in diagnostics {
        html.push_str(
            "<pre style=\"white-space:pre-wrap;margin:0 0 1.25rem;padding:1rem;background:#0b0c0c;border-left:6px solid ",
        );
        html.push_str(if d.is_error() { "#d4351c" } else { "#ffdd00" });
        html.push_str("\">");
        html.push_str(&crate::text::escape(&d.render()));
        html.push_str("</pre>");
    }
    html.push_str(
        "<button type=\"button\" id=\"placard-overlay-close\" style=\"font:inherit;padding:.5rem 1rem;min-height:44px\">Hide these errors</button></div>\n",
    );
    html
}
