//! The tools' socket: one task per connection reads requests, hands them to
//! the main loop and writes the replies back. Only root and members of the
//! `haclient` group (and the daemon's own user) are answered, checked with
//! SO_PEERCRED, as Pacemaker's IPC servers do.

use std::path::Path;

use anyhow::{Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

use super::Input;
use crate::ipc::{frame, ClientRequest, DaemonReply, MAX_FRAME_BYTES};

pub fn listen(path: &Path) -> Result<UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // A socket left by a daemon that crashed: nobody listens on it any more.
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path).with_context(|| format!("listening on {}", path.display()))?;
    let group = nix::unistd::Group::from_name("haclient").ok().flatten().map(|g| g.gid);
    let _ = nix::unistd::chown(path, None, group);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    Ok(listener)
}

fn allowed(stream: &UnixStream) -> bool {
    let Ok(cred) = stream.peer_cred() else { return false };
    let me = nix::unistd::geteuid().as_raw();
    if cred.uid() == 0 || cred.uid() == me {
        return true;
    }
    let Some(group) = nix::unistd::Group::from_name("haclient").ok().flatten() else { return false };
    if cred.gid() == group.gid.as_raw() {
        return true;
    }
    let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(cred.uid())).ok().flatten();
    user.is_some_and(|u| group.mem.contains(&u.name))
}

pub async fn accept_loop(listener: UnixListener, inbox: mpsc::UnboundedSender<Input>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        if !allowed(&stream) {
            tracing::warn!(peer = ?stream.peer_cred().ok(), "refused a client that is neither root nor in haclient");
            continue;
        }
        let inbox = inbox.clone();
        tokio::spawn(async move {
            if let Err(e) = serve(stream, inbox).await {
                tracing::debug!(error = %e, "client connection ended");
            }
        });
    }
}

async fn read_frame(stream: &mut UnixStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match stream.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME_BYTES {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "frame too large"));
    }
    let mut buf = vec![0u8; len];
    stream.read_exact(&mut buf).await?;
    Ok(Some(buf))
}

async fn serve(mut stream: UnixStream, inbox: mpsc::UnboundedSender<Input>) -> std::io::Result<()> {
    while let Some(bytes) = read_frame(&mut stream).await? {
        let reply = match ClientRequest::decode(&bytes) {
            Err(e) => Some(DaemonReply::Refused(e.to_string())),
            Ok(ClientRequest::Subscribe) => return subscribed(stream, inbox).await,
            Ok(ClientRequest::Query) => {
                ask(&inbox, |reply| Input::Query { reply }).await.map(DaemonReply::Cib)
            }
            Ok(ClientRequest::Fence(target)) => ask(&inbox, |reply| Input::Fence { target, reply }).await,
            Ok(ClientRequest::FenceHistory) => {
                ask(&inbox, |reply| Input::FenceHistory { reply }).await.map(DaemonReply::Text)
            }
            Ok(ClientRequest::Change(change)) => ask(&inbox, |reply| Input::Change { change, reply }).await,
        }
        .unwrap_or_else(|| DaemonReply::Refused("daemon stopping".into()));
        stream.write_all(&frame(&reply.encode())).await?;
    }
    Ok(())
}

/// Hands a request to the main loop and waits for its answer; `None` when
/// the loop went away (the daemon is stopping).
async fn ask<T>(
    inbox: &mpsc::UnboundedSender<Input>,
    request: impl FnOnce(oneshot::Sender<T>) -> Input,
) -> Option<T> {
    let (tx, rx) = oneshot::channel();
    inbox.send(request(tx)).ok()?;
    rx.await.ok()
}

async fn subscribed(mut stream: UnixStream, inbox: mpsc::UnboundedSender<Input>) -> std::io::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _ = inbox.send(Input::Subscribe { updates: tx });
    let mut ignored = [0u8; 64];
    loop {
        tokio::select! {
            cib = rx.recv() => {
                let Some(cib) = cib else { return Ok(()) };
                stream.write_all(&frame(&DaemonReply::Cib(cib).encode())).await?;
            }
            // The subscriber hung up (or wrote something it should not have).
            n = stream.read(&mut ignored) => if n? == 0 { return Ok(()) },
        }
    }
}
