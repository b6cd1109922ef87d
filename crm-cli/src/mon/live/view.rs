//! Drawing one frame from the state. Every state is spelt out in text or
//! marked with a symbol; colour only repeats it, so a monochrome terminal (or
//! NO_COLOR) loses nothing.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use super::events::Severity;
use super::keys::{App, Mode, Pane};
use super::model::{NodeClass, RscClass, Snapshot};
use crate::mon::timefmt;

/// Below this the panes cannot show a useful line each.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless NO_COLOR is set to anything non-empty (no-color.org).
    pub fn from_env() -> Theme {
        Theme { color: !matches!(std::env::var_os("NO_COLOR"), Some(v) if !v.is_empty()) }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    fn node(&self, class: NodeClass) -> Style {
        match class {
            NodeClass::Online => self.fg(Color::Green),
            NodeClass::Standby | NodeClass::Pending => self.fg(Color::Yellow),
            NodeClass::Maintenance => self.fg(Color::Blue),
            NodeClass::Offline => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            NodeClass::Unclean => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }

    fn rsc(&self, class: RscClass) -> Style {
        match class {
            RscClass::Container => Style::new().add_modifier(Modifier::BOLD),
            RscClass::Promoted => self.fg(Color::Green).add_modifier(Modifier::BOLD),
            RscClass::Started | RscClass::Unpromoted => self.fg(Color::Green),
            RscClass::Stopped => self.fg(Color::DarkGray),
            RscClass::Changing => self.fg(Color::Yellow),
            RscClass::Failed => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            RscClass::Blocked => self.fg(Color::Magenta).add_modifier(Modifier::BOLD),
        }
    }

    fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Info => Style::new(),
            Severity::Warn => self.fg(Color::Yellow),
            Severity::Bad => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }
}

pub fn node_marker(class: NodeClass) -> &'static str {
    match class {
        NodeClass::Online => "+",
        NodeClass::Standby => "~",
        NodeClass::Maintenance => "m",
        NodeClass::Pending => "?",
        NodeClass::Offline => "-",
        NodeClass::Unclean => "!",
    }
}

fn rsc_marker(class: RscClass) -> &'static str {
    match class {
        RscClass::Failed => "!! ",
        RscClass::Blocked => "!  ",
        RscClass::Changing => "~  ",
        RscClass::Promoted => "*  ",
        _ => "   ",
    }
}

fn severity_marker(s: Severity) -> &'static str {
    match s {
        Severity::Info => " ",
        Severity::Warn => "~",
        Severity::Bad => "!",
    }
}

pub const HELP: &str = "\
Tab / Shift-Tab   move between panes
Up Down / k j     move the selection (PgUp PgDn Home End too)
Enter / space     fold or unfold a group or clone (Resources)
s                 standby / online the selected node (Nodes)
c                 clean up the selected resource (Resources, Failures)
m                 move the selected resource to a node you pick
u                 clear the move of the selected resource
?                 this help (any key closes it)
q / Esc           quit

Node markers:  + online  ~ standby  m maintenance  ? pending
               - OFFLINE  ! UNCLEAN
Resource markers:  * promoted  !! FAILED  ! blocked/unmanaged
                   ~ starting/stopping   [-] [+] unfolded/folded
Every command is shown and confirmed (y/n) before it runs.";

/// Draws the whole screen; `now` is the wall clock for the title.
pub fn draw(f: &mut Frame, app: &App, theme: &Theme, now: i64) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "terminal too small ({}x{}); crm_mon needs at least {MIN_WIDTH}x{MIN_HEIGHT}. q quits.",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    let [head, body, status] =
        Layout::vertical([Constraint::Length(5), Constraint::Min(6), Constraint::Length(1)]).areas(area);
    draw_header(f, app, theme, now, head);
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
    let [nodes, resources] =
        Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)]).areas(top);
    let [failures, events] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    draw_nodes(f, app, theme, nodes);
    draw_resources(f, app, theme, resources);
    draw_failures(f, app, theme, failures);
    draw_events(f, app, theme, events);
    draw_status(f, app, theme, status);
    match &app.mode {
        Mode::Normal => {}
        Mode::Help => {
            let lines = HELP.lines().count() as u16;
            let r = centered(area, 72, lines + 2);
            f.render_widget(Clear, r);
            f.render_widget(Paragraph::new(HELP).block(Block::bordered().title(" Help ")), r);
        }
        Mode::Confirm(action) => {
            let text = format!("Run `{}`?\n\n[y] yes    [n] no", action.command_line());
            let width = (action.command_line().len() as u16 + 12).max(40);
            let r = centered(area, width, 5);
            f.render_widget(Clear, r);
            let block = Block::bordered().title(" Confirm ").border_style(theme.fg(Color::Yellow));
            f.render_widget(Paragraph::new(text).block(block), r);
        }
        Mode::PickNode { rsc, nodes, selected } => {
            let r = centered(area, 60, nodes.len() as u16 + 2);
            f.render_widget(Clear, r);
            let items: Vec<ListItem> = nodes.iter().map(|n| ListItem::new(n.as_str())).collect();
            let title = format!(" Move {rsc} to (Enter picks, Esc cancels) ");
            let list = List::new(items)
                .block(Block::bordered().title(title))
                .highlight_symbol("> ")
                .highlight_style(Style::new().add_modifier(Modifier::REVERSED));
            f.render_stateful_widget(list, r, &mut ListState::default().with_selected(Some(*selected)));
        }
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [r] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(area);
    let [r] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(r);
    r
}

fn pane_block(app: &App, pane: Pane, title: String) -> Block<'static> {
    let focused = app.focus == pane;
    // The focused pane is marked by its title too, for terminals without bold.
    let title = if focused { format!("[ {title} ]") } else { format!(" {title} ") };
    let style = if focused { Style::new().add_modifier(Modifier::BOLD) } else { Style::new() };
    Block::bordered().title(title).border_style(style).title_style(style)
}

fn draw_list(f: &mut Frame, app: &App, pane: Pane, items: Vec<ListItem>, block: Block, area: Rect) {
    let focused = app.focus == pane;
    let empty = items.is_empty();
    let list = List::new(items)
        .block(block)
        .highlight_symbol(if focused { "> " } else { "  " })
        .highlight_style(if focused { Style::new().add_modifier(Modifier::REVERSED) } else { Style::new() });
    let selected = (!empty).then(|| app.selected(pane));
    f.render_stateful_widget(list, area, &mut ListState::default().with_selected(selected));
}

fn draw_header(f: &mut Frame, app: &App, theme: &Theme, now: i64, area: Rect) {
    let title = format!(" crm_mon  {}  (? help, q quit) ", timefmt::ctime(now));
    let block = Block::bordered().title(title);
    let Some(s) = &app.snapshot else {
        let msg = format!("waiting for the cluster status from {} ...", app.source);
        f.render_widget(Paragraph::new(msg).block(block), area);
        return;
    };
    f.render_widget(Paragraph::new(header_lines(s, app, theme)).block(block), area);
}

fn header_lines(s: &Snapshot, app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let dc = match &s.dc {
        Some(dc) => {
            Span::raw(format!("Current DC: {dc} (version {})", s.dc_version.as_deref().unwrap_or("unknown")))
        }
        None => Span::styled("Current DC: NONE", theme.fg(Color::Red).add_modifier(Modifier::BOLD)),
    };
    let quorum = if s.quorum {
        Span::raw("partition with quorum")
    } else {
        Span::styled("partition WITHOUT quorum", theme.fg(Color::Red).add_modifier(Modifier::BOLD))
    };
    let count = |c: NodeClass| s.nodes.iter().filter(|n| n.class == c).count();
    let mut nodes = format!("{} nodes: {} online", s.nodes.len(), count(NodeClass::Online));
    for (class, word) in [
        (NodeClass::Standby, "standby"),
        (NodeClass::Maintenance, "maintenance"),
        (NodeClass::Pending, "pending"),
        (NodeClass::Offline, "OFFLINE"),
        (NodeClass::Unclean, "UNCLEAN"),
    ] {
        if count(class) > 0 {
            nodes.push_str(&format!(", {} {word}", count(class)));
        }
    }
    let mut rsc = format!("{} resource instances", s.instances);
    if s.disabled > 0 {
        rsc.push_str(&format!(" ({} DISABLED)", s.disabled));
    }
    if s.blocked > 0 {
        rsc.push_str(&format!(" ({} BLOCKED)", s.blocked));
    }
    let failed = match s.failures.len() {
        0 => Span::raw("no failed actions"),
        n => Span::styled(format!("{n} FAILED action(s)"), theme.severity(Severity::Bad)),
    };
    let mut first = vec![Span::raw(format!("Stack: {}  ", s.stack)), dc, Span::raw(" - "), quorum];
    if s.maintenance {
        first.push(Span::styled("  MAINTENANCE MODE", theme.severity(Severity::Warn)));
    }
    vec![
        Line::from(first),
        Line::from(vec![Span::raw(format!("{nodes}  |  {rsc}  |  ")), failed]),
        Line::from(format!(
            "Last updated: {}  Last change: {}  ({})",
            timefmt::ctime(s.at),
            s.last_change,
            app.source
        )),
    ]
}

fn draw_nodes(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let rows = app.snapshot.as_ref().map(|s| s.nodes.as_slice()).unwrap_or_default();
    let width = rows.iter().map(|n| n.name.len()).max().unwrap_or(0);
    let items = rows
        .iter()
        .map(|n| {
            let mut spans = vec![
                Span::styled(format!("{} ", node_marker(n.class)), theme.node(n.class)),
                Span::raw(format!("{:<width$}  ", n.name)),
                Span::styled(n.state.clone(), theme.node(n.class)),
            ];
            if n.dc {
                spans.push(Span::raw("  (DC)"));
            }
            if n.running > 0 {
                spans.push(Span::raw(format!("  {} rsc", n.running)));
            }
            ListItem::new(Line::from(spans))
        })
        .collect();
    let block = pane_block(app, Pane::Nodes, format!("Nodes ({})", rows.len()));
    draw_list(f, app, Pane::Nodes, items, block, area);
}

fn draw_resources(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let mut items = Vec::new();
    if let Some(s) = &app.snapshot {
        for i in app.visible_resources() {
            let l = &s.resources[i];
            let pad = "  ".repeat(l.depth);
            let marker = if l.container {
                if app.folded.contains(&l.target) {
                    "[+]"
                } else {
                    "[-]"
                }
            } else {
                rsc_marker(l.class)
            };
            let line = Line::from(vec![
                Span::raw(format!("{pad}{marker:<4}")),
                Span::styled(l.text.clone(), theme.rsc(l.class)),
            ]);
            items.push(ListItem::new(line));
        }
    }
    let title = if items.is_empty() && app.snapshot.is_some() {
        "Resources (none configured)".to_string()
    } else {
        "Resources".to_string()
    };
    draw_list(f, app, Pane::Resources, items, pane_block(app, Pane::Resources, title), area);
}

fn draw_failures(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let failures = app.snapshot.as_ref().map(|s| s.failures.as_slice()).unwrap_or_default();
    let items = failures
        .iter()
        .map(|x| ListItem::new(Span::styled(format!("! {}", x.text), theme.severity(Severity::Bad))))
        .collect();
    let title = format!("Failed actions ({})", failures.len());
    draw_list(f, app, Pane::Failures, items, pane_block(app, Pane::Failures, title), area);
}

fn draw_events(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    // Newest first, so the latest is visible without scrolling.
    let items = app
        .events
        .iter()
        .rev()
        .map(|e| {
            ListItem::new(Line::from(vec![
                Span::raw(format!("{} {} ", Snapshot::clock(e.at), severity_marker(e.severity))),
                Span::styled(e.text.clone(), theme.severity(e.severity)),
            ]))
        })
        .collect();
    draw_list(f, app, Pane::Events, items, pane_block(app, Pane::Events, "Recent events".into()), area);
}

fn draw_status(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let line = match (&app.busy, &app.status) {
        (Some(cmd), _) => Line::from(format!("running `{cmd}` ...")),
        (None, Some((msg, bad))) => {
            let style = if *bad { theme.severity(Severity::Bad) } else { Style::new() };
            Line::from(Span::styled(msg.clone(), style))
        }
        (None, None) => Line::from(
            "Tab pane  j/k select  Enter fold  s standby/online  c cleanup  m move  u clear  ? help  q quit",
        ),
    };
    f.render_widget(Paragraph::new(line), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mon::live::events::tests::{node, snapshot};
    use crate::mon::live::model::resource_lines;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn screen(app: &App, w: u16, h: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| draw(f, app, &Theme { color: false }, 1_700_000_000)).unwrap();
        let buf = t.backend().buffer().clone();
        let mut out = String::new();
        for y in 0..h {
            for x in 0..w {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
        screen.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle:?} in\n{screen}"))
    }

    #[test]
    fn a_node_going_offline_shows_offline_and_an_event() {
        let mut app = App::new("the cluster".into());
        let mut first = snapshot(
            1_700_000_000,
            vec![node("n1", NodeClass::Online), node("n2", NodeClass::Online), node("n3", NodeClass::Online)],
            &[("vip", "n3", "Started", false)],
        );
        first.resources =
            resource_lines("  * Full List of Resources:\n    * vip\t(ocf:heartbeat:IPaddr2):\t Started n3\n");
        app.update(first.clone());
        let s = screen(&app, 120, 30);
        assert!(line_with(&s, "n3 ").contains("online"), "{s}");
        assert!(s.contains("vip (ocf:heartbeat:IPaddr2):  Started n3"), "{s}");
        assert!(s.contains("Current DC: n1"), "{s}");

        let mut second = first;
        second.at += 9;
        second.nodes[2] = node("n3", NodeClass::Offline);
        second.placements.clear();
        second.resources =
            resource_lines("  * Full List of Resources:\n    * vip\t(ocf:heartbeat:IPaddr2):\t Stopped\n");
        app.update(second);
        let s = screen(&app, 120, 30);
        let row = line_with(&s, "- n3");
        assert!(row.contains("OFFLINE"), "{s}");
        assert!(line_with(&s, "node n3 went OFFLINE").contains("22:13:29 !"), "{s}");
        assert!(s.contains("vip stopped on n3"), "{s}");
        assert!(s.contains("2 online, 1 OFFLINE"), "{s}");
    }

    #[test]
    fn dialogs_name_the_command() {
        let mut app = App::new("x".into());
        app.update(snapshot(0, vec![node("n1", NodeClass::Online)], &[]));
        app.on_key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('s')));
        assert!(screen(&app, 100, 30).contains("Run `crm node standby n1`?"));
        app.on_key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('n')));
        app.on_key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('?')));
        assert!(screen(&app, 100, 30).contains("fold or unfold"));
    }

    #[test]
    fn tiny_terminals_get_a_message() {
        let app = App::new("x".into());
        assert!(screen(&app, 30, 5).contains("terminal too small"));
        assert!(screen(&app, 1, 1).contains('t'));
        assert!(screen(&app, 80, 20).contains("waiting for the cluster status"));
    }
}
