//! The interactive shell: a prompt per level, line editing and history.

use std::io::{BufRead as _, Write as _};

use super::shell::Shell;
use super::CrmError;

pub fn run(shell: &mut Shell) -> Result<(), CrmError> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        let lvl = shell.level.name();
        print!("crm(live){lvl}# ");
        let _ = std::io::stdout().flush();
        let Some(Ok(line)) = lines.next() else { break };
        shell.run_line(&line);
        if shell.quit {
            return Ok(());
        }
    }
    shell.finish();
    Ok(())
}
