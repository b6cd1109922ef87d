//! `crm`: the cluster shell, a drop-in for crmsh's `crm` (configure, resource,
//! node, ra, status), on `CIB_file=` offline or on the local crmd.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::{bail, Context as _, Result};
use crm_cli::cibio::CibSource;
use crm_cli::crmsh::Shell;

const USAGE: &str = "usage: crm [-F] [-f FILE] [-c SHADOW] [-o OPT=VALUE] [LEVEL [COMMAND [ARGS...]]]

  -F, --force        commit even when crm_verify reports errors
  -f, --file FILE    run the commands in FILE (- for standard input)
  -c, --cib SHADOW   work on the shadow CIB SHADOW (CIB_shadow_dir, default /var/lib/pacemaker/cib)
  -o, --opt OPT=VAL  set a preference (accepted for compatibility)
  -w, -D, -R, -d     accepted for compatibility

Without a command, reads commands interactively (or from standard input).
The CIB is the file named by CIB_file, else the cluster (crmd's socket, CRMD_SOCKET).";

fn main() {
    match real_main() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("ERROR: {e:#}");
            std::process::exit(1);
        }
    }
}

fn real_main() -> Result<i32> {
    let mut args = std::env::args().skip(1).peekable();
    let mut force = false;
    let mut file: Option<String> = None;
    let mut shadow: Option<String> = None;
    let mut command: Vec<String> = Vec::new();
    while let Some(a) = args.next() {
        if !command.is_empty() || !a.starts_with('-') || a == "-" {
            command.push(a);
            continue;
        }
        match a.as_str() {
            "-F" | "--force" => force = true,
            "-f" | "--file" => file = Some(args.next().context("-f needs a file")?),
            "-c" | "--cib" => shadow = Some(args.next().context("-c needs a shadow CIB name")?),
            "-o" | "--opt" | "-D" | "--display" | "-H" | "--history" => {
                args.next();
            }
            "-w" | "--wait" | "-R" | "--regression-tests" | "-d" | "--debug" | "-X" => {}
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(0);
            }
            "--version" => {
                println!("crm {} (crmsh 4.4 compatible)", env!("CARGO_PKG_VERSION"));
                return Ok(0);
            }
            _ if a.starts_with("--file=") => file = Some(a["--file=".len()..].to_string()),
            _ if a.starts_with("-f") && a.len() > 2 => file = Some(a[2..].to_string()),
            _ if a.starts_with("-F") => force = true,
            _ => bail!("unknown option {a}\n{USAGE}"),
        }
    }
    let shadow = shadow.or_else(|| std::env::var("CIB_shadow").ok().filter(|s| !s.is_empty()));
    let cib = match shadow {
        Some(name) => CibSource::File(crm_cli::crmsh::cibcmd::shadow_path(&name)),
        None => CibSource::from_env(),
    };
    let mut shell = Shell::new(cib, force);
    if let Some(f) = file {
        let text = if f == "-" {
            std::io::read_to_string(std::io::stdin())?
        } else {
            std::fs::read_to_string(&f).with_context(|| format!("reading {f}"))?
        };
        shell.run_script(&text);
    } else if !command.is_empty() {
        // Re-quote the words so that the shell's own splitting sees them as typed.
        let line = command.iter().map(|w| quote_word(w)).collect::<Vec<_>>().join(" ");
        shell.run_script(&line);
    } else if std::io::stdin().is_terminal() {
        crm_cli::crmsh::interactive::run(&mut shell)?;
    } else {
        let mut text = String::new();
        for line in std::io::stdin().lock().lines() {
            text.push_str(&line?);
            text.push('\n');
        }
        shell.run_script(&text);
    }
    Ok(if shell.failed { 1 } else { 0 })
}

/// Quotes a word for the shell lexer when it holds blanks or quotes.
fn quote_word(w: &str) -> String {
    if !w.is_empty() && !w.chars().any(|c| c.is_whitespace() || c == '"' || c == '\'' || c == '\\') {
        return w.to_string();
    }
    // name=value keeps its name outside the quotes, as a user would type it.
    let (prefix, value) = match w.split_once('=') {
        Some((k, v)) if !k.is_empty() && !k.contains(char::is_whitespace) => (format!("{k}="), v),
        _ => (String::new(), w),
    };
    format!("{prefix}\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}
