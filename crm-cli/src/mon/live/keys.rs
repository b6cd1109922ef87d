//! The view's state and what each key does to it, without a terminal: keys
//! come in as crossterm events and an action to carry out comes back once the
//! user confirmed it.

use std::collections::{BTreeSet, VecDeque};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::actions::{Action, Outcome};
use super::events::{self, Event, Severity};
use super::model::Snapshot;

/// The most recent events kept; older ones scroll away.
const MAX_EVENTS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Nodes,
    Resources,
    Failures,
    Events,
}

impl Pane {
    const ALL: [Pane; 4] = [Pane::Nodes, Pane::Resources, Pane::Failures, Pane::Events];

    fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// What the keys act on at the moment: the panes, or a dialog over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Help,
    /// "Run this command? y/n".
    Confirm(Action),
    /// Choosing the node to move `rsc` to.
    PickNode {
        rsc: String,
        nodes: Vec<String>,
        selected: usize,
    },
}

pub struct App {
    pub snapshot: Option<Snapshot>,
    /// Newest last.
    pub events: VecDeque<Event>,
    pub focus: Pane,
    selected: [usize; 4],
    /// Containers folded by the user, by resource id; kept across updates.
    pub folded: BTreeSet<String>,
    pub mode: Mode,
    /// The last command's result or an error, with whether it is bad news.
    pub status: Option<(String, bool)>,
    /// A command is running (one at a time: each waits for the cluster).
    pub busy: Option<String>,
    /// Where the data comes from, for the header.
    pub source: String,
    pub quit: bool,
}

impl App {
    pub fn new(source: String) -> App {
        App {
            snapshot: None,
            events: VecDeque::new(),
            focus: Pane::Nodes,
            selected: [0; 4],
            folded: BTreeSet::new(),
            mode: Mode::Normal,
            status: None,
            busy: None,
            source,
            quit: false,
        }
    }

    /// Takes a new snapshot; what changed since the last one becomes events.
    pub fn update(&mut self, snap: Snapshot) {
        if let Some(old) = &self.snapshot {
            for e in events::diff(old, &snap) {
                self.push_event(e);
            }
        } else {
            let text =
                format!("connected: {} nodes, {} resource instances", snap.nodes.len(), snap.instances);
            self.push_event(Event { at: snap.at, text, severity: Severity::Info });
        }
        self.snapshot = Some(snap);
        self.clamp();
    }

    pub fn push_event(&mut self, e: Event) {
        self.events.push_back(e);
        while self.events.len() > MAX_EVENTS {
            self.events.pop_front();
        }
    }

    pub fn finished(&mut self, outcome: Outcome) {
        self.busy = None;
        self.status = Some((format!("{}: {}", outcome.command, outcome.message), !outcome.ok));
    }

    pub fn selected(&self, pane: Pane) -> usize {
        self.selected[pane.index()]
    }

    /// Indexes into the snapshot's resource lines that are visible (not inside
    /// a folded container).
    pub fn visible_resources(&self) -> Vec<usize> {
        let Some(s) = &self.snapshot else { return Vec::new() };
        let mut out = Vec::new();
        let mut hidden_below: Option<usize> = None;
        for (i, l) in s.resources.iter().enumerate() {
            if let Some(d) = hidden_below {
                if l.depth > d {
                    continue;
                }
                hidden_below = None;
            }
            out.push(i);
            if l.container && self.folded.contains(&l.target) {
                hidden_below = Some(l.depth);
            }
        }
        out
    }

    fn len(&self, pane: Pane) -> usize {
        match (pane, &self.snapshot) {
            (Pane::Events, _) => self.events.len(),
            (_, None) => 0,
            (Pane::Nodes, Some(s)) => s.nodes.len(),
            (Pane::Resources, Some(_)) => self.visible_resources().len(),
            (Pane::Failures, Some(s)) => s.failures.len(),
        }
    }

    fn clamp(&mut self) {
        for p in Pane::ALL {
            let n = self.len(p);
            let sel = &mut self.selected[p.index()];
            *sel = (*sel).min(n.saturating_sub(1));
        }
    }

    fn selected_node(&self) -> Option<&super::model::NodeRow> {
        self.snapshot.as_ref()?.nodes.get(self.selected(Pane::Nodes))
    }

    /// The resource the selection in the focused pane stands for.
    fn selected_resource(&self) -> Option<String> {
        let s = self.snapshot.as_ref()?;
        match self.focus {
            Pane::Resources => {
                let i = *self.visible_resources().get(self.selected(Pane::Resources))?;
                Some(s.resources[i].target.clone()).filter(|t| !t.is_empty())
            }
            Pane::Failures => s.failures.get(self.selected(Pane::Failures)).map(|f| f.rsc.clone()),
            _ => None,
        }
    }

    fn hint(&mut self, text: &str) {
        self.status = Some((text.to_string(), true));
    }

    /// Handles one key; returns the action to run when the user confirmed one.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Action> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return None;
        }
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Normal => self.normal_key(key),
            Mode::Help => None,
            Mode::Confirm(action) => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    self.busy = Some(action.command_line());
                    self.status = Some((format!("running {} ...", action.command_line()), false));
                    Some(action)
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
                    self.status = Some(("cancelled".into(), false));
                    None
                }
                _ => {
                    self.mode = Mode::Confirm(action);
                    None
                }
            },
            Mode::PickNode { rsc, nodes, mut selected } => {
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => selected = selected.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => {
                        selected = (selected + 1).min(nodes.len().saturating_sub(1))
                    }
                    KeyCode::Enter => {
                        if let Some(node) = nodes.get(selected) {
                            self.mode = Mode::Confirm(Action::Move { rsc, node: node.clone() });
                        }
                        return None;
                    }
                    KeyCode::Esc | KeyCode::Char('q') => {
                        self.status = Some(("cancelled".into(), false));
                        return None;
                    }
                    _ => {}
                }
                self.mode = Mode::PickNode { rsc, nodes, selected };
                None
            }
        }
    }

    fn normal_key(&mut self, key: KeyEvent) -> Option<Action> {
        let pane = self.focus;
        let n = self.len(pane);
        let sel = &mut self.selected[pane.index()];
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => self.quit = true,
            KeyCode::Char('?') | KeyCode::F(1) => self.mode = Mode::Help,
            KeyCode::Tab => self.focus = Pane::ALL[(pane.index() + 1) % 4],
            KeyCode::BackTab => self.focus = Pane::ALL[(pane.index() + 3) % 4],
            KeyCode::Up | KeyCode::Char('k') => *sel = sel.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *sel = (*sel + 1).min(n.saturating_sub(1)),
            KeyCode::PageUp => *sel = sel.saturating_sub(10),
            KeyCode::PageDown => *sel = (*sel + 10).min(n.saturating_sub(1)),
            KeyCode::Home | KeyCode::Char('g') => *sel = 0,
            KeyCode::End | KeyCode::Char('G') => *sel = n.saturating_sub(1),
            KeyCode::Enter | KeyCode::Char(' ') if pane == Pane::Resources => self.toggle_fold(),
            KeyCode::Char(c @ ('s' | 'c' | 'm' | 'u')) => self.command_key(c),
            _ => {}
        }
        None
    }

    fn toggle_fold(&mut self) {
        let Some(s) = &self.snapshot else { return };
        let Some(&i) = self.visible_resources().get(self.selected(Pane::Resources)) else { return };
        let line = &s.resources[i];
        if !line.container {
            return;
        }
        let id = line.target.clone();
        if !self.folded.remove(&id) {
            self.folded.insert(id);
        }
        self.clamp();
    }

    /// The keys that lead to a command: each opens the dialog that names it.
    fn command_key(&mut self, c: char) {
        if let Some(running) = &self.busy {
            let msg = format!("wait: {running} is still running");
            self.hint(&msg);
            return;
        }
        match c {
            's' => {
                let Some(node) = self.selected_node().filter(|_| self.focus == Pane::Nodes) else {
                    return self.hint("s: select a node in the Nodes pane first (Tab moves between panes)");
                };
                let name = node.name.clone();
                self.mode =
                    Mode::Confirm(if node.standby { Action::Online(name) } else { Action::Standby(name) });
            }
            'c' | 'm' | 'u' => {
                let Some(rsc) = self.selected_resource() else {
                    return self.hint("select a resource in the Resources or Failures pane first");
                };
                self.mode = match c {
                    'c' => Mode::Confirm(Action::Cleanup(rsc)),
                    'u' => Mode::Confirm(Action::Clear(rsc)),
                    _ => {
                        let nodes: Vec<String> = self
                            .snapshot
                            .iter()
                            .flat_map(|s| s.nodes.iter().map(|n| n.name.clone()))
                            .collect();
                        Mode::PickNode { rsc, nodes, selected: 0 }
                    }
                };
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mon::live::events::tests::{node, snapshot};
    use crate::mon::live::model::{resource_lines, NodeClass};

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn app() -> App {
        let mut a = App::new("test".into());
        let mut s = snapshot(10, vec![node("n1", NodeClass::Online), node("n2", NodeClass::Standby)], &[]);
        s.resources = resource_lines(
            "  * Full List of Resources:
    * Resource Group: g:
      * a\t(ocf:heartbeat:Dummy):\t Started n1
      * b\t(ocf:heartbeat:Dummy):\t Started n1
    * vip\t(ocf:heartbeat:IPaddr2):\t Started n1
",
        );
        a.update(s);
        a
    }

    #[test]
    fn standby_toggles_with_confirmation() {
        let mut a = app();
        assert_eq!(a.on_key(key(KeyCode::Char('s'))), None);
        assert_eq!(a.mode, Mode::Confirm(Action::Standby("n1".into())));
        assert_eq!(a.on_key(key(KeyCode::Char('n'))), None);
        assert_eq!(a.mode, Mode::Normal);
        a.on_key(key(KeyCode::Down));
        a.on_key(key(KeyCode::Char('s')));
        assert_eq!(a.on_key(key(KeyCode::Char('y'))), Some(Action::Online("n2".into())));
        assert!(a.busy.is_some());
        // One command at a time.
        a.on_key(key(KeyCode::Char('s')));
        assert_eq!(a.mode, Mode::Normal);
        a.finished(Outcome { command: "crm node online n2".into(), ok: true, message: "done".into() });
        assert_eq!(a.status, Some(("crm node online n2: done".into(), false)));
    }

    #[test]
    fn folding_and_resource_commands() {
        let mut a = app();
        a.on_key(key(KeyCode::Tab));
        assert_eq!(a.focus, Pane::Resources);
        assert_eq!(a.visible_resources(), vec![0, 1, 2, 3]);
        a.on_key(key(KeyCode::Enter));
        assert_eq!(a.visible_resources(), vec![0, 3]);
        a.on_key(key(KeyCode::Char('j')));
        a.on_key(key(KeyCode::Char('c')));
        assert_eq!(a.mode, Mode::Confirm(Action::Cleanup("vip".into())));
        a.on_key(key(KeyCode::Esc));
        a.on_key(key(KeyCode::Char('m')));
        a.on_key(key(KeyCode::Down));
        a.on_key(key(KeyCode::Enter));
        assert_eq!(a.mode, Mode::Confirm(Action::Move { rsc: "vip".into(), node: "n2".into() }));
        assert_eq!(
            a.on_key(key(KeyCode::Char('y'))),
            Some(Action::Move { rsc: "vip".into(), node: "n2".into() })
        );
        a.finished(Outcome { command: "crm resource move vip n2".into(), ok: false, message: "x".into() });
        a.on_key(key(KeyCode::Char('k')));
        a.on_key(key(KeyCode::Char('u')));
        assert_eq!(a.mode, Mode::Confirm(Action::Clear("g".into())));
        a.on_key(key(KeyCode::Char('n')));
        a.on_key(key(KeyCode::Char('q')));
        assert!(a.quit);
    }

    #[test]
    fn commands_need_a_selection_in_the_right_pane() {
        let mut a = app();
        a.on_key(key(KeyCode::Char('c')));
        assert_eq!(a.mode, Mode::Normal);
        assert!(a.status.as_ref().is_some_and(|(m, bad)| *bad && m.contains("select a resource")));
    }
}
