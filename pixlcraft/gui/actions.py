"""Every command of the window, registered by id: menus, the toolbar, shortcuts and enabling are data.

An action is described once in :data:`ACTIONS` (text, shortcut, icon, when it is available); :data:`MENUS` and
:data:`TOOLBAR` list ids. The window supplies one handler per id and a few facts about its state ("a pattern
is open", "a job runs", "there is something to undo"), and :class:`ActionRegistry` does the rest. Tests and
other code trigger commands by id (``registry["edit.undo"].trigger()``), exactly as the menu does.

Icons are drawn here with QPainter rather than loaded from a theme, so the app looks the same on every
system (Qt has no icon theme on Windows and macOS, nor offscreen).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QIcon,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QMenu, QMenuBar, QToolBar, QWidget


@dataclass(frozen=True)
class ActionSpec:
    """One command. ``needs`` are state flags that must all be true for it to be enabled (``pattern``,
    ``idle``, ``undo``, ``redo``, ``photo``, ``job``, ``stitch``: a cross-stitch pattern is open,
    ``pattern_photo``: the open pattern has its photo). ``group`` makes checkable actions exclusive (tools)."""

    id: str
    text: str
    tip: str = ""
    shortcut: str | QKeySequence.StandardKey | tuple[str, ...] = ""
    icon: str = ""
    needs: tuple[str, ...] = ()
    checkable: bool = False
    checked: bool = False
    group: str = ""
    show_text: bool = False
    """Show the text beside the icon in the toolbar (for the few most important commands)."""


_STD = QKeySequence.StandardKey

ACTIONS: tuple[ActionSpec, ...] = (
    # File
    ActionSpec("file.open", "&Open…", "Open a photo or a pattern (.pixl, .oxs)", _STD.Open, "open", ("idle",),
               show_text=True),
    ActionSpec("file.save", "&Save", "Save the pattern as a .pixl file", _STD.Save, "save", ("pattern", "idle"),
               show_text=True),
    ActionSpec("file.save_as", "Save &As…", "Save the pattern under another name", _STD.SaveAs, "",
               ("pattern", "idle")),
    ActionSpec("export.dialog", "&Export…", "Export a printable chart, bead plan, parts list…", "Ctrl+E",
               "export", ("pattern", "idle"), show_text=True),
    ActionSpec("file.close", "&Close Pattern", "Close the pattern", _STD.Close, "", ("pattern", "idle")),
    ActionSpec("file.quit", "&Quit", "Quit PixlCraft", _STD.Quit),
    # Edit
    ActionSpec("edit.undo", "&Undo", "Undo the last change", "Ctrl+Z", "undo", ("undo", "idle")),
    ActionSpec("edit.redo", "&Redo", "Redo the change you undid", ("Ctrl+Shift+Z", "Ctrl+Y"), "redo",
               ("redo", "idle")),
    ActionSpec("edit.remove_confetti", "Remove &Confetti", "Recolour isolated single cells to a neighbour's "
               "colour when it hardly shows", "", "", ("pattern", "idle")),
    ActionSpec("edit.compact", "Remove &Unused Colours", "Drop colours no cell uses from the pattern", "", "",
               ("pattern", "idle")),
    ActionSpec("edit.reduce", "Re&duce Colours…", "Merge the pattern down to fewer colours, adding the least "
               "colour error", "", "", ("pattern", "idle")),
    ActionSpec("edit.clear_background", "Clear &Background", "Leave the background unstitched: the colour "
               "around the picture, where it touches the border, becomes empty", "", "", ("pattern", "idle")),
    ActionSpec("edit.merge_rare", "Merge &Rare Colours…", "Fold colours used by only a few cells into their "
               "nearest common colour", "", "", ("pattern", "idle")),
    ActionSpec("edit.stash", "My &Stash…", "The threads, beads and bricks you own, and how much of each", "", ""),
    ActionSpec("edit.settings", "&Settings…", "Model folder, device, paper size, units", _STD.Preferences, ""),
    # Tools (Select is the default: a first click into the chart must never change it)
    ActionSpec("tool.select", "&Select", "Point at cells to see their thread; clicks change nothing", "V", "select",
               ("pattern",), checkable=True, checked=True, group="tool"),
    ActionSpec("tool.paint", "&Paint", "Paint cells with the chosen colour (drag to paint a line)", "B", "paint",
               ("pattern",), checkable=True, group="tool"),
    ActionSpec("tool.fill", "&Fill", "Fill an area of one colour with the chosen colour", "G", "fill",
               ("pattern",), checkable=True, group="tool"),
    ActionSpec("tool.pick", "Pic&k Colour", "Click a cell to paint with its colour", "I", "pick", ("pattern",),
               checkable=True, group="tool"),
    ActionSpec("tool.backstitch", "&Backstitch", "Draw backstitch: click cell corners or half points, one segment "
               "per click (Shift: straight or 45°; Esc or right-click ends the line)", "L", "backstitch",
               ("pattern",), checkable=True, group="tool"),
    ActionSpec("tool.part", "Part S&titch", "Place a half stitch along the diagonal through the clicked quarter "
               "(Shift: a quarter stitch, Ctrl: a three-quarter stitch)", "T", "part", ("pattern",),
               checkable=True, group="tool"),
    ActionSpec("tool.knot", "French &Knot", "Place a French knot at the nearest cell corner, edge middle or centre",
               "K", "knot", ("pattern",), checkable=True, group="tool"),
    ActionSpec("tool.erase_stitch", "&Erase Stitch", "Remove the backstitch, knot, bead or part stitch under the "
               "cursor", "E", "erase_stitch", ("pattern",), checkable=True, group="tool"),
    ActionSpec("stitch.outline", "Suggest &Outline", "Add backstitch along the photo's strong edges and between "
               "contrasting colours, in the darkest thread, as one step (Ctrl+Z removes it)", "", "",
               ("stitch", "idle")),
    ActionSpec("stitch.outline_paint", "Suggest Outline in Paint &Colour", "The suggested outline, in the colour "
               "chosen in the thread list", "", "", ("stitch", "idle")),
    ActionSpec("stitch.smooth", "Smooth &Diagonal Edges", "Where a cell straddles a slanted edge, stitch it as a "
               "three-quarter stitch plus the neighbour's quarter when that matches the photo better", "", "",
               ("stitch", "pattern_photo", "idle")),
    ActionSpec("tool.pan", "&Move View", "Drag to move the view (the middle or right mouse button also does)",
               "H", "pan", ("pattern",), checkable=True, group="tool"),
    # View
    ActionSpec("view.zoom_in", "Zoom &In", "Zoom in", _STD.ZoomIn, "zoom_in", ("pattern",)),
    ActionSpec("view.zoom_out", "Zoom &Out", "Zoom out", _STD.ZoomOut, "zoom_out", ("pattern",)),
    ActionSpec("view.fit", "&Fit to Window", "Show the whole pattern", "Ctrl+0", "fit", ("pattern",)),
    ActionSpec("view.grid", "&Grid Lines", "Show lines between cells and bold lines every 10", "Ctrl+G", "grid",
               checkable=True, checked=True),
    ActionSpec("view.symbols", "&Symbols", "Show each colour's chart symbol in its cells", "Ctrl+Shift+Y",
               "symbols", checkable=True),
    ActionSpec("view.parts", "&Part Stitches", "Show half, quarter and three-quarter stitches", "", "",
               checkable=True, checked=True),
    ActionSpec("view.backstitch", "&Backstitch", "Show backstitches and straight stitches", "", "",
               checkable=True, checked=True),
    ActionSpec("view.knots", "&Knots and Beads", "Show French knots and beads", "", "", checkable=True,
               checked=True),
    ActionSpec("view.source", "Source &Photo", "Show the photo beside the pattern", "Ctrl+Shift+P", "source",
               ("photo",), checkable=True, checked=True),
    # Pattern making
    ActionSpec("make.run", "&Make Pattern", "Make the pattern with the settings on the left", "Ctrl+Return", "",
               ("idle",)),
    ActionSpec("job.cancel", "&Cancel Job", "Stop the running job", "Esc", "", ("job",)),
    ActionSpec("models.manager", "AI &Models…", "See and download the AI models", "", ""),
    # Help
    ActionSpec("help.guide", "&Quick Guide", "How to make a pattern, in five steps", _STD.HelpContents, ""),
    ActionSpec("help.shortcuts", "&Keyboard Shortcuts", "Every keyboard shortcut", "Ctrl+/", ""),
    ActionSpec("help.about", "&About PixlCraft", "", "", ""),
)

MENUS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("&File", ("file.open", "@recent", "-", "file.save", "file.save_as", "-", "export.dialog", "-", "file.close",
               "file.quit")),
    ("&Edit", ("edit.undo", "edit.redo", "-", "edit.remove_confetti", "edit.reduce", "edit.merge_rare",
               "edit.clear_background", "edit.compact", "-", "edit.stash", "edit.settings")),
    ("&View", ("view.zoom_in", "view.zoom_out", "view.fit", "-", "view.grid", "view.symbols", "-", "view.parts",
                "view.backstitch", "view.knots", "-", "view.source")),
    ("&Pattern", ("make.run", "job.cancel", "-", "tool.select", "tool.paint", "tool.fill", "tool.pick", "tool.pan",
                  "-", "tool.backstitch", "tool.part", "tool.knot", "tool.erase_stitch", "-",
                  "stitch.outline", "stitch.outline_paint", "stitch.smooth", "-", "models.manager")),
    ("&Help", ("help.guide", "help.shortcuts", "-", "help.about")),
)
"""Menus in order; ``-`` is a separator and ``@name`` a sub-menu the window fills (recent files)."""

TOOLBAR: tuple[str, ...] = (
    "file.open", "file.save", "export.dialog", "-", "edit.undo", "edit.redo", "-", "tool.select", "tool.paint",
    "tool.fill",
    "tool.pick", "tool.pan", "tool.backstitch", "tool.part", "tool.knot", "tool.erase_stitch", "-",
    "view.zoom_in", "view.zoom_out", "view.fit", "-", "view.grid", "view.symbols",
    "view.source",
)


class ActionRegistry:
    """The window's QActions by id, built from :data:`ACTIONS`."""

    def __init__(self, parent: QWidget, handlers: Mapping[str, Callable[..., object]],
                 specs: Iterable[ActionSpec] = ACTIONS) -> None:
        self._specs = {s.id: s for s in specs}
        self._actions: dict[str, QAction] = {}
        self._groups: dict[str, QActionGroup] = {}
        self.submenus: dict[str, QMenu] = {}
        missing = [i for i in self._specs if i not in handlers]
        if missing:
            raise KeyError(f"no handler for action(s): {', '.join(missing)}")
        for spec in self._specs.values():
            action = QAction(spec.text, parent)
            action.setObjectName(spec.id)
            if spec.tip:
                action.setToolTip(spec.tip)
                action.setStatusTip(spec.tip)
            shortcuts = _shortcuts(spec.shortcut)
            if shortcuts:
                action.setShortcuts(shortcuts)
                if spec.tip:
                    action.setToolTip(f"{spec.tip} ({shortcuts[0].toString(QKeySequence.SequenceFormat.NativeText)})")
            if spec.icon:
                action.setIcon(make_icon(spec.icon))
            action.setPriority(QAction.Priority.NormalPriority if spec.show_text else QAction.Priority.LowPriority)
            if spec.checkable:
                action.setCheckable(True)
                action.setChecked(spec.checked)
            if spec.group:
                group = self._groups.setdefault(spec.group, QActionGroup(parent))
                group.setExclusive(True)
                group.addAction(action)
            handler = handlers[spec.id]
            if spec.checkable:
                action.toggled.connect(handler)
            else:
                action.triggered.connect(lambda _checked=False, h=handler: h())
            parent.addAction(action)  # shortcuts work even when the action is in no visible menu
            self._actions[spec.id] = action

    def __getitem__(self, action_id: str) -> QAction:
        return self._actions[action_id]

    def __contains__(self, action_id: str) -> bool:
        return action_id in self._actions

    def ids(self) -> list[str]:
        return list(self._actions)

    def spec(self, action_id: str) -> ActionSpec:
        return self._specs[action_id]

    def trigger(self, action_id: str) -> None:
        self._actions[action_id].trigger()

    def update(self, state: Mapping[str, bool]) -> None:
        """Enable each action whose ``needs`` all hold in ``state`` (unknown flags count as false)."""
        for action_id, spec in self._specs.items():
            self._actions[action_id].setEnabled(all(state.get(flag, False) for flag in spec.needs))

    def build_menus(self, menubar: QMenuBar, menus=MENUS) -> None:
        for title, items in menus:
            menu = menubar.addMenu(title)
            for item in items:
                if item == "-":
                    menu.addSeparator()
                elif item.startswith("@"):
                    self.submenus[item[1:]] = menu.addMenu(_SUBMENU_TITLES.get(item[1:], item[1:]))
                else:
                    menu.addAction(self._actions[item])

    def build_toolbar(self, toolbar: QToolBar, items: Iterable[str] = TOOLBAR) -> None:
        for item in items:
            if item == "-":
                toolbar.addSeparator()
            else:
                toolbar.addAction(self._actions[item])


_SUBMENU_TITLES = {"recent": "Open &Recent"}

# Keys a text field or spin box must keep for itself (editing, its own undo); every other Ctrl/Alt shortcut of
# the window works wherever the focus is.
_FIELD_KEYS = {QKeySequence(k).toString() for k in ("Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+Y", "Ctrl+A", "Ctrl+C",
                                                     "Ctrl+V", "Ctrl+X", "Ctrl+Left", "Ctrl+Right",
                                                     "Ctrl+Backspace", "Ctrl+Delete", "Ctrl+Home", "Ctrl+End")}


class DocumentShortcuts(QObject):
    """Lets the window's Ctrl/Alt shortcuts through text fields and spin boxes.

    A focused QLineEdit (inside every spin box) claims some Ctrl keys for its own editing (Ctrl+E is "end of
    line" on X11), so without this Ctrl+E does nothing while a size box has focus. Installed on the application,
    it declines the field's claim for a key sequence that one of ``window``'s actions owns, unless the field needs
    that key to edit text."""

    def __init__(self, window: QWidget, registry: ActionRegistry) -> None:
        super().__init__(window)
        self.window = window
        self.owned = {seq.toString() for a in registry.ids() for seq in registry[a].shortcuts()} - _FIELD_KEYS

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(obj, QLineEdit | QAbstractSpinBox):
            return False
        if not (event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)):
            return False
        if obj.window() is not self.window:
            return False
        pressed = QKeySequence(event.keyCombination()).toString()
        if pressed in self.owned:
            event.ignore()  # the field does not claim it: the shortcut map delivers it to the action
            return True
        return False


def _shortcuts(value: str | QKeySequence.StandardKey | tuple[str, ...]) -> list[QKeySequence]:
    if not value:
        return []
    if isinstance(value, QKeySequence.StandardKey):
        return QKeySequence.keyBindings(value)
    if isinstance(value, tuple):
        return [QKeySequence(v) for v in value]
    return [QKeySequence(value)]


# ------------------------------------------------------------------------------------------------ icons

ICON_PX = 64
_INK = QColor("#3b3530")
_ACCENT = QColor("#c0392b")


def make_icon(name: str) -> QIcon:
    """A simple line icon drawn at 64 px (Qt scales it down crisply)."""
    pix = QPixmap(ICON_PX, ICON_PX)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(_INK, 5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    _DRAW[name](p)
    p.end()
    return QIcon(pix)


def _polygon(*points: tuple[float, float]) -> QPainterPath:
    """A closed outline through ``points`` (icons are drawn on a 64×64 canvas)."""
    path = QPainterPath()
    path.moveTo(*points[0])
    for x, y in points[1:]:
        path.lineTo(x, y)
    path.closeSubpath()
    return path


def _open(p: QPainter) -> None:
    path = QPainterPath()
    path.moveTo(8, 50)
    path.lineTo(8, 14)
    path.lineTo(24, 14)
    path.lineTo(30, 20)
    path.lineTo(50, 20)
    path.lineTo(50, 28)
    p.drawPath(path)
    front = _polygon((8, 50), (16, 28), (58, 28), (50, 50))
    p.setBrush(QColor("#f3d9a4"))
    p.drawPath(front)


def _save(p: QPainter) -> None:
    path = _polygon((10, 10), (46, 10), (54, 18), (54, 54), (10, 54))
    p.setBrush(QColor("#cfe0f0"))
    p.drawPath(path)
    p.setBrush(QColor("#ffffff"))
    p.drawRect(QRectF(20, 10, 22, 14))
    p.drawRect(QRectF(18, 34, 28, 20))


def _export(p: QPainter) -> None:
    p.setBrush(QColor("#ffffff"))
    p.drawRect(QRectF(10, 8, 34, 46))
    pen = p.pen()
    pen.setWidth(3)
    p.setPen(pen)
    for y in (20, 28, 36):
        p.drawLine(17, y, 37, y)
    pen.setWidth(5)
    pen.setColor(_ACCENT)
    p.setPen(pen)
    p.drawLine(30, 44, 56, 44)
    p.drawLine(48, 36, 56, 44)
    p.drawLine(48, 52, 56, 44)


def _arrow(p: QPainter, mirror: bool) -> None:
    if mirror:
        p.translate(ICON_PX, 0)
        p.scale(-1, 1)
    path = QPainterPath()
    path.moveTo(16, 28)
    path.cubicTo(26, 12, 50, 12, 52, 34)
    path.cubicTo(53, 44, 46, 52, 36, 52)
    p.drawPath(path)
    p.drawLine(QPointF(16, 28), QPointF(14, 12))
    p.drawLine(QPointF(16, 28), QPointF(31, 30))


def _paint(p: QPainter) -> None:
    p.save()
    p.translate(32, 32)
    p.rotate(45)
    p.setBrush(QColor("#f6c453"))
    p.drawRect(QRectF(-7, -26, 14, 36))
    tip = _polygon((-7, 10), (0, 24), (7, 10))
    p.setBrush(QColor("#f1dcc0"))
    p.drawPath(tip)
    p.restore()


def _fill(p: QPainter) -> None:
    p.save()
    p.translate(28, 34)
    p.rotate(-30)
    p.setBrush(QColor("#ffffff"))
    p.drawRoundedRect(QRectF(-14, -14, 28, 30), 3, 3)
    p.restore()
    drop = QPainterPath()
    drop.moveTo(52, 34)
    drop.cubicTo(46, 44, 46, 52, 52, 52)
    drop.cubicTo(58, 52, 58, 44, 52, 34)
    p.setPen(QPen(_ACCENT, 3))
    p.setBrush(_ACCENT)
    p.drawPath(drop)


def _pick(p: QPainter) -> None:
    p.drawLine(14, 50, 40, 24)
    p.setBrush(_INK)
    p.save()
    p.translate(45, 19)
    p.rotate(45)
    p.drawRoundedRect(QRectF(-6, -12, 12, 20), 5, 5)
    p.restore()
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawLine(10, 54, 14, 50)


def _pan(p: QPainter) -> None:
    c = 32
    p.drawLine(c, 8, c, 56)
    p.drawLine(8, c, 56, c)
    for dx, dy in ((0, -1), (0, 1), (-1, 0), (1, 0)):
        tip = QPointF(c + dx * 24, c + dy * 24)
        for side in (-1, 1):
            back = QPointF(tip.x() - dx * 8 + dy * 8 * side, tip.y() - dy * 8 + dx * 8 * side)
            p.drawLine(tip, back)


def _zoom(p: QPainter, plus: bool) -> None:
    p.drawEllipse(QRectF(8, 8, 34, 34))
    pen = p.pen()
    pen.setWidth(8)
    p.setPen(pen)
    p.drawLine(40, 40, 54, 54)
    pen.setWidth(5)
    p.setPen(pen)
    p.drawLine(17, 25, 33, 25)
    if plus:
        p.drawLine(25, 17, 25, 33)


def _fit(p: QPainter) -> None:
    for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
        cx, cy = 32 - sx * 22, 32 - sy * 22
        p.drawLine(QPointF(cx, cy), QPointF(cx + sx * 12, cy))
        p.drawLine(QPointF(cx, cy), QPointF(cx, cy + sy * 12))
    p.setBrush(QColor("#dcd3c8"))
    p.drawRect(QRectF(22, 22, 20, 20))


def _grid(p: QPainter) -> None:
    pen = p.pen()
    pen.setWidth(3)
    p.setPen(pen)
    for i in range(5):
        v = 10 + i * 11
        p.drawLine(v, 10, v, 54)
        p.drawLine(10, v, 54, v)


def _symbols(p: QPainter) -> None:
    p.setBrush(_INK)
    p.drawEllipse(QRectF(8, 8, 18, 18))
    tri = _polygon((46, 8), (56, 26), (36, 26))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(tri)
    p.drawRect(QRectF(9, 38, 16, 16))
    p.drawLine(38, 38, 54, 54)
    p.drawLine(54, 38, 38, 54)


def _source(p: QPainter) -> None:
    p.setBrush(QColor("#ffffff"))
    p.drawRoundedRect(QRectF(6, 12, 52, 40), 4, 4)
    hills = _polygon((10, 48), (26, 30), (36, 40), (42, 34), (54, 48))
    p.setBrush(QColor("#8fb98b"))
    p.drawPath(hills)
    p.setBrush(QColor("#f6c453"))
    p.drawEllipse(QPointF(44, 22), 4, 4)


def _backstitch(p: QPainter) -> None:
    p.setPen(QPen(_ACCENT, 7, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    path = QPainterPath()
    path.moveTo(8, 52)
    path.lineTo(24, 36)
    path.lineTo(44, 36)
    path.lineTo(56, 12)
    p.drawPath(path)


def _part(p: QPainter) -> None:
    p.drawRect(QRectF(10, 10, 44, 44))
    p.setBrush(_ACCENT)
    p.setPen(QPen(_INK, 2))
    p.drawPath(_polygon((12, 52), (38, 26), (28, 16)))
    p.drawPath(_polygon((52, 12), (26, 38), (36, 48)))


def _knot(p: QPainter) -> None:
    p.drawLine(10, 32, 54, 32)
    p.drawLine(32, 10, 32, 54)
    p.setBrush(_ACCENT)
    p.drawEllipse(QPointF(32, 32), 11, 11)


def _erase_stitch(p: QPainter) -> None:
    p.setPen(QPen(QColor("#9a8f84"), 6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.drawLine(8, 54, 30, 32)
    p.setPen(QPen(_INK, 4))
    p.save()
    p.translate(40, 24)
    p.rotate(45)
    p.setBrush(QColor("#f4b6c2"))
    p.drawRoundedRect(QRectF(-10, -17, 20, 34), 4, 4)
    p.restore()


def _select(p: QPainter) -> None:
    arrow = _polygon((18, 8), (18, 50), (29, 40), (37, 56), (44, 52), (36, 37), (50, 36))
    p.setBrush(QColor("#ffffff"))
    p.drawPath(arrow)


_DRAW: dict[str, Callable[[QPainter], None]] = {
    "select": _select,
    "open": _open,
    "save": _save,
    "export": _export,
    "undo": lambda p: _arrow(p, False),
    "redo": lambda p: _arrow(p, True),
    "paint": _paint,
    "fill": _fill,
    "pick": _pick,
    "pan": _pan,
    "backstitch": _backstitch,
    "part": _part,
    "knot": _knot,
    "erase_stitch": _erase_stitch,
    "zoom_in": lambda p: _zoom(p, True),
    "zoom_out": lambda p: _zoom(p, False),
    "fit": _fit,
    "grid": _grid,
    "symbols": _symbols,
    "source": _source,
}
