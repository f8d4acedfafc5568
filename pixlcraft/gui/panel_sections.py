"""The five sections of the left panel (start, material, size, colours, method), built as widgets.

A mixin of :class:`~pixlcraft.gui.source_panel.SourcePanel`: the panel's behaviour stays there, the layout of
its sections is here, one method per section.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..imageio import Photo
from ..sizing import MAX_CELLS
from .bridge import JobRunner
from .cleanup_choice import CHOICES as CLEANUP_ENTRIES
from .cleanup_choice import choices_tooltip as cleanup_tooltip
from .make_jobs import DEFAULT_BUDGET, DEFAULT_WIDTH, cleanup_available, on_checkerboard
from .pattern_view import float_photo_to_qimage

CRAFTS = (("stitch", "Cross-stitch"), ("bead", "Fuse beads"), ("brick", "Bricks"))
FABRIC_COUNTS = (11, 14, 16, 18, 22, 28)


class PhotoDrop(QFrame):
    """The photo well: shows the chosen photo, opens the file dialog on click, accepts dropped files."""

    clicked = Signal()
    fileDropped = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photoDrop")
        self.setAcceptDrops(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumHeight(124)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._pixmap: QPixmap | None = None
        self.text = "Drop a photo or pattern here\nor click to choose one"

    def set_photo(self, photo: Photo | None) -> None:
        self._pixmap = None if photo is None else QPixmap.fromImage(float_photo_to_qimage(on_checkerboard(photo),
                                                                                         512))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(260, 124)

    def paintEvent(self, event) -> None:  # noqa: N802
        super().paintEvent(event)
        p = QPainter(self)
        r = self.rect().adjusted(8, 8, -8, -8)
        if self._pixmap is None:
            p.setPen(self.palette().color(self.foregroundRole()))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, self.text)
        else:
            scaled = self._pixmap.scaled(r.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation)
            x = r.x() + (r.width() - scaled.width()) // 2
            y = r.y() + (r.height() - scaled.height()) // 2
            p.drawPixmap(x, y, scaled)
        p.end()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if dropped_file(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        path = dropped_file(event)
        if path is not None:
            event.acceptProposedAction()
            self.fileDropped.emit(path)


def dropped_file(event: QDragEnterEvent | QDropEvent) -> str | None:
    """The first local file of a drag, or None."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            return url.toLocalFile()
    return None


def _section(title: str, parent: QWidget) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame(parent)
    frame.setObjectName("section")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(12, 10, 12, 12)
    layout.setSpacing(6)
    label = QLabel(title, frame)
    label.setObjectName("sectionTitle")
    layout.addWidget(label)
    return frame, layout


class PanelSections:
    def _build_start(self, body: QWidget, column: QVBoxLayout) -> None:
        """Section 1: start."""
        start, lay = _section("1  Start", body)
        self.drop = PhotoDrop(start)
        self.drop.clicked.connect(self.openRequested)
        self.drop.fileDropped.connect(self.fileChosen)
        lay.addWidget(self.drop)
        self.photo_label = QLabel("No photo yet", start)
        self.photo_label.setObjectName("panelHint")
        self.recent_button = QToolButton(start)
        self.recent_button.setText("Recent")
        self.recent_button.setToolTip("Open a recently used photo or pattern")
        self.recent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recent_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        row = QHBoxLayout()
        row.addWidget(self.photo_label, 1)
        row.addWidget(self.recent_button)
        lay.addLayout(row)
        self.prompt = QPlainTextEdit(start)
        self.prompt.setPlaceholderText("…or describe a picture for the AI, e.g. “a red fox in the snow”")
        self.prompt.setFixedHeight(48)
        lay.addWidget(self.prompt)
        column.addWidget(start)

    def _build_material(self, body: QWidget, column: QVBoxLayout) -> None:
        """Section 2: material."""
        material, lay = _section("2  Craft and brand", body)
        crafts = QHBoxLayout()
        crafts.setSpacing(0)
        self.craft_group = QButtonGroup(self)
        self.craft_buttons: dict[str, QToolButton] = {}
        for key, text in CRAFTS:
            b = QToolButton(material)
            b.setText(text)
            b.setCheckable(True)
            b.setObjectName("segment")
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.craft_group.addButton(b)
            self.craft_buttons[key] = b
            crafts.addWidget(b)
            b.toggled.connect(lambda on, k=key: on and self._craft_changed(k))
        lay.addLayout(crafts)
        form = QGridLayout()
        form.setHorizontalSpacing(8)
        form.addWidget(QLabel("Brand", material), 0, 0)
        self.brand = QComboBox(material)
        self.brand.activated.connect(self._brand_activated)
        self.brand.currentIndexChanged.connect(self._update_size_hint)
        form.addWidget(self.brand, 0, 1)
        self.fabric_label = QLabel("Fabric", material)
        form.addWidget(self.fabric_label, 1, 0)
        self.fabric = QComboBox(material)
        for count in FABRIC_COUNTS:
            self.fabric.addItem(f"{count}-count Aida", float(count))
        self.fabric.currentIndexChanged.connect(self._update_size_hint)
        form.addWidget(self.fabric, 1, 1)
        self.material_hint = QLabel("", material)
        self.material_hint.setObjectName("panelHint")
        form.addWidget(self.material_hint, 2, 1)
        form.setColumnStretch(1, 1)
        lay.addLayout(form)
        column.addWidget(material)

    def _build_size(self, body: QWidget, column: QVBoxLayout) -> None:
        """Section 3: size."""
        size, lay = _section("3  Size", body)
        self.size_unit = QComboBox(size)
        self.size_unit.addItem("cells", "cells")
        self.size_unit.addItem("cm", "cm")
        self.size_unit.addItem("in", "in")
        self.size_unit.setToolTip("Give the size in cells, or as the finished size on the fabric or board")
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        self.width_cells = QSpinBox(size)
        self.width_cells.setRange(4, MAX_CELLS)
        self.width_cells.setValue(DEFAULT_WIDTH)
        self.height_cells = QSpinBox(size)
        self.height_cells.setRange(0, MAX_CELLS)
        self.height_cells.setSpecialValueText("auto")
        self.width_phys = QDoubleSpinBox(size)
        self.height_phys = QDoubleSpinBox(size)
        for box in (self.width_phys, self.height_phys):
            box.setDecimals(1)
            box.setRange(0.0, 2000.0)
        self.height_phys.setSpecialValueText("auto")
        self.width_phys.setMinimum(0.5)
        self.width_cells.setPrefix("W ")
        self.height_cells.setPrefix("H ")
        self.width_phys.setPrefix("W ")
        self.height_phys.setPrefix("H ")
        self.width_cells.setToolTip("Width in cells (stitches, beads or studs)")
        self.height_cells.setToolTip("Height in cells; auto follows the photo's shape")
        grid.addWidget(self.width_cells, 0, 0)
        grid.addWidget(self.width_phys, 0, 0)
        grid.addWidget(QLabel("×", size), 0, 1)
        grid.addWidget(self.height_cells, 0, 2)
        grid.addWidget(self.height_phys, 0, 2)
        grid.addWidget(self.size_unit, 0, 3)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(2, 1)
        lay.addLayout(grid)
        self.size_hint = QLabel("", size)
        self.size_hint.setObjectName("panelHint")
        self.size_hint.setWordWrap(True)
        lay.addWidget(self.size_hint)
        for w in (self.width_cells, self.height_cells, self.width_phys, self.height_phys):
            w.valueChanged.connect(self._update_size_hint)
        self.size_unit.currentIndexChanged.connect(self._size_mode_changed)
        column.addWidget(size)

    def _build_colours(self, body: QWidget, column: QVBoxLayout) -> None:
        """Section 4: colours."""
        colours, lay = _section("4  Colours", body)
        row = QHBoxLayout()
        self.use_budget = QCheckBox("At most", colours)
        self.use_budget.setChecked(True)
        self.budget = QSpinBox(colours)
        self.budget.setRange(1, 200)
        self.budget.setValue(DEFAULT_BUDGET)
        self.budget.setSuffix(" colours")
        self.use_budget.toggled.connect(self.budget.setEnabled)
        row.addWidget(self.use_budget)
        row.addWidget(self.budget, 1)
        lay.addLayout(row)
        row = QHBoxLayout()
        self.owned = QLineEdit(colours)
        self.owned.setPlaceholderText("Colours I own: all")
        self.owned.setToolTip("Only use these colours: codes separated by commas (e.g. 310, 321, 699), or a file")
        self.owned_file = QToolButton(colours)
        self.owned_file.setText("File…")
        self.owned_file.clicked.connect(self._choose_owned_file)
        row.addWidget(self.owned, 1)
        row.addWidget(self.owned_file)
        lay.addLayout(row)
        self._build_stash_row(colours, lay)
        row = QHBoxLayout()
        self.cleanup = QCheckBox("Remove confetti", colours)
        self.cleanup.setChecked(True)
        self.cleanup.setToolTip("Recolour lone single stitches (“confetti”) to a neighbour's colour when it hardly "
                                "changes the picture; the status bar says how many. Edit ▸ Remove Confetti does "
                                "the same on a pattern you have edited.")
        self.alpha_empty = QCheckBox("Empty where the photo is see-through", colours)
        self.alpha_empty.setToolTip("Transparent parts of a PNG (logos, sprites) get no stitch, bead or brick, "
                                    "instead of being blended over white")
        self.empty_background = QCheckBox("Leave the background empty", colours)
        self.empty_background.setToolTip("The colour around the picture (the one along the border, where it "
                                         "touches the border) gets no stitch, bead or brick")
        self.dither = QCheckBox("Dither", colours)
        self.dither.setToolTip("Mix colours for smoother shading seen from a distance (more colour changes): a "
                               "fine scatter for stitching, a regular 4×4 texture for beads and bricks")
        # a dithered pattern is speckled on purpose: the converter leaves the confetti alone, and the box says so
        self.dither.toggled.connect(lambda on: self.cleanup.setEnabled(not on))
        self.detail = QCheckBox("Keep fine lines", colours)
        self.detail.setChecked(True)
        self.detail.setToolTip("Cells crossed by a thin line (outlines, lettering) take the line's colour, and "
                               "logos and sprites keep their own flat colours instead of blends at the edges. "
                               "Off: every cell is the average colour of its part of the photo")
        row.addWidget(self.cleanup)
        row.addWidget(self.dither)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.detail)  # its own line: a third box in the row above is cut off at the panel's width
        self.include_special = QCheckBox("Special colours too", colours)
        self.include_special.setToolTip("Clear, glow, pearl, metallic and glitter beads, and colours sold in one "
                                        "region only. Left out by default: see-through, glow-in-the-dark, pearl, "
                                        "metallic and "
                                        "glitter beads look unlike their swatch in a picture, and some colours "
                                        "are sold in one country only. Colours you own are always used.")
        lay.addWidget(self.include_special)
        lay.addWidget(self.alpha_empty)
        lay.addWidget(self.empty_background)
        # photo adjustments, applied before the colours are matched (a live-preview drag)
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        self.adjust_sliders: dict[str, QSlider] = {}
        for row_i, (name, label) in enumerate((("brightness", "Brightness"), ("contrast", "Contrast"),
                                               ("saturation", "Saturation"))):
            slider = QSlider(Qt.Orientation.Horizontal, colours)
            slider.setRange(-100, 100)
            slider.setValue(0)
            slider.setPageStep(10)
            slider.setToolTip(f"{label} of the photo before its colours are matched (double-click resets)")
            slider.setObjectName(f"adjust_{name}")
            value = QLabel("0", colours)
            value.setMinimumWidth(30)
            slider.valueChanged.connect(lambda v, lbl=value: lbl.setText(f"{v:+d}" if v else "0"))
            grid.addWidget(QLabel(label, colours), row_i, 0)
            grid.addWidget(slider, row_i, 1)
            grid.addWidget(value, row_i, 2)
            self.adjust_sliders[name] = slider
        reset = QToolButton(colours)
        reset.setText("Reset the photo adjustments")
        reset.setToolTip("Back to the photo as it is")
        reset.clicked.connect(lambda: [s.setValue(0) for s in self.adjust_sliders.values()])
        grid.setColumnStretch(1, 1)
        lay.addLayout(grid)
        lay.addWidget(reset, 0, Qt.AlignmentFlag.AlignRight)
        column.addWidget(colours)

    def _build_stash_row(self, colours: QWidget, lay: QVBoxLayout) -> None:
        """"Only what I have", beside the way to the stash, and the line that says when the stash is not enough
        (with the one-click way out: the largest size it fills)."""
        row = QHBoxLayout()
        self.use_stash = QCheckBox("Only what I have", colours)
        self.use_stash.setToolTip("Make the pattern from the threads, beads or bricks in My Stash only, never using "
                                  "more of a colour than you have. Untick it to see what to buy instead.")
        self.stash_button = QToolButton(colours)
        self.stash_button.setText("My Stash…")
        self.stash_button.setToolTip("The threads, beads and bricks you own, and how much of each")
        self.stash_button.clicked.connect(self.stashRequested)
        row.addWidget(self.use_stash)
        row.addStretch(1)
        row.addWidget(self.stash_button)
        lay.addLayout(row)
        self.stash_hint = QLabel("", colours)
        self.stash_hint.setWordWrap(True)
        self.stash_hint.setStyleSheet("color: #a0322a;")
        self.stash_fit = QToolButton(colours)
        self.stash_fit.setToolTip("Set the width to the largest size your stash fills, and make the pattern")
        lay.addWidget(self.stash_hint)
        lay.addWidget(self.stash_fit, 0, Qt.AlignmentFlag.AlignRight)
        self.set_stash_problem("")

    def set_stash_problem(self, text: str, fit: str = "") -> None:
        """Say under "Only what I have" why the stash could not make the pattern ("" hides it); ``fit`` labels
        the button that makes the largest pattern it fills."""
        self.stash_hint.setText(text)
        self.stash_hint.setVisible(bool(text))
        self.stash_fit.setText(fit)
        self.stash_fit.setVisible(bool(text and fit))

    def _build_method(self, body: QWidget, column: QVBoxLayout) -> None:
        """Section 5: method."""
        method, lay = _section("5  Method", body)
        self.classic = QRadioButton("Classic — instant", method)
        self.classic.setChecked(True)
        self.ai = QRadioButton("AI (SD-πXL) — slow, most detail", method)
        self.ai.toggled.connect(self._method_changed)
        lay.addWidget(self.classic)
        lay.addWidget(self.ai)
        self.ai_status = QLabel("", method)
        self.ai_status.setObjectName("panelHint")
        self.ai_status.setWordWrap(True)
        lay.addWidget(self.ai_status)
        self.photo_cleanup = QCheckBox("Clean up the photo first", method)
        self.photo_cleanup.setEnabled(cleanup_available())
        self.photo_cleanup.setToolTip(
            "Clean a small, noisy phone photo before the pattern is made, in the way chosen under it"
            if cleanup_available() else "Photo clean-up is not part of this build")
        self.cleanup_method = QComboBox(method)
        self.cleanup_method.setObjectName("cleanupMethod")
        for key, label, text in CLEANUP_ENTRIES:
            self.cleanup_method.addItem(label, key)
            self.cleanup_method.setItemData(self.cleanup_method.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        # the labels are long: the menu shows them in full when open, the box never widens the panel
        self.cleanup_method.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.cleanup_method.setMinimumContentsLength(12)
        self.cleanup_method.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.cleanup_method.setToolTip(cleanup_tooltip())
        self.cleanup_method.setEnabled(False)
        self.cleanup_hint = QLabel("", method)
        self.cleanup_hint.setObjectName("panelHint")
        self.cleanup_hint.setWordWrap(True)
        self.cleanup_hint.setVisible(False)
        self.cleanup_probe = JobRunner(self)  # PASD's readiness imports torch: never on the GUI thread
        self.cleanup_probe.finished.connect(self._pasd_ready)
        self.cleanup_probe.error.connect(self._pasd_probe_failed)
        self.photo_cleanup.toggled.connect(self._cleanup_toggled)
        self.cleanup_method.currentIndexChanged.connect(self._cleanup_choice_changed)
        lay.addWidget(self.photo_cleanup)
        row = QHBoxLayout()
        row.setContentsMargins(22, 0, 0, 0)  # under the box's text: it belongs to the box
        row.addWidget(self.cleanup_method, 1)
        lay.addLayout(row)
        hint = QHBoxLayout()
        hint.setContentsMargins(22, 0, 0, 0)
        hint.addWidget(self.cleanup_hint, 1)
        lay.addLayout(hint)
        column.addWidget(method)
