"""The left panel: where a pattern starts — a photo or a prompt — and the choices that shape it.

It collects choices into a :class:`MakeRequest` and says "make it" (a signal); the window runs the job
(:mod:`pixlcraft.gui.make_jobs`).

Sizes can be typed in cells or as a physical size; the physical size goes through
:func:`pixlcraft.sizing.cells_from_physical` with the material's pitch, so the panel and the printed chart agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ..errors import InputError
from ..imageio import Photo
from ..palette import (
    Palette,
    builtin_names,
    load_builtin,
)
from ..pattern import Pattern
from ..settings import Settings
from ..sizing import cells_from_physical, target_cells
from .bridge import JobRunner
from .cleanup_choice import CHOICE_KEYS, CleanupChoiceMixin
from .make_jobs import (  # noqa: F401 - the window and the tests use them from here too
    DEFAULT_BUDGET,
    DEFAULT_WIDTH,
    SDPIXL_ROLES,
    Brand,
    MadePattern,
    MakeRequest,
    ai_available,
    ai_estimate_text,
    check_request,
    cleanup_available,
    make_ai,
    make_classic,
    on_checkerboard,
    probe_ai,
    read_brands,
    request_palette,
)
from .panel_sections import CRAFTS, FABRIC_COUNTS, PanelSections, PhotoDrop, dropped_file  # noqa: F401

PHOTO_FILTER = "Photos (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.bmp *.gif)"
PATTERN_SUFFIXES = (".pixl", ".oxs")
BRAND_LIST_DELAY_MS = 300
MM_PER_IN = 25.4

# ------------------------------------------------------------------------------------------------ widgets


class SourcePanel(CleanupChoiceMixin, PanelSections, QWidget):
    """Start → material → size → colours → method → Make pattern (the button stays in view at the bottom)."""

    makeRequested = Signal(object)
    """A :class:`MakeRequest`."""
    openRequested = Signal()
    fileChosen = Signal(str)
    """A file was dropped on the panel or chosen from the recent list."""
    aiProbeRequested = Signal()
    stashRequested = Signal()
    """The user asked for My Stash (the button beside "Only what I have")."""
    choicesChanged = Signal()
    """Any choice that shapes the classic pattern changed (size, budget, brand, owned colours, dither…): the
    window re-makes the preview after a short pause."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourcePanel")
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.settings = settings
        self.photo: Photo | None = None
        self.photo_path = ""
        self._ai_info: dict[str, Any] | None = None
        self._palette_file = ""
        self._brand_by_craft: dict[str, str] = {}
        self._shown_unit = "cells"
        self.crop: tuple[float, float, float, float] | None = None
        """The part of the photo to use (fractions of it), drawn on the source photo; None: all of it."""
        self._brands: list[Brand] | None = None
        self._brand_runner = JobRunner(self)
        self._brand_runner.finished.connect(self._brands_ready)

        body = QWidget(self.scroll)
        body.setObjectName("sourceBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(10, 10, 10, 10)
        column.setSpacing(8)
        self.scroll.setWidget(body)

        self._build_start(body, column)
        self._build_material(body, column)
        self._build_size(body, column)
        self._build_colours(body, column)
        self._build_method(body, column)
        column.addStretch(1)
        self.make_button = QPushButton("Make pattern", self)
        self.make_button.setObjectName("primary")
        self.make_button.setMinimumHeight(38)
        self.make_button.clicked.connect(self._make)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 10)
        outer.setSpacing(6)
        outer.addWidget(self.scroll, 1)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(10, 0, 10, 0)
        bottom.addWidget(self.make_button)
        outer.addLayout(bottom)

        self._connect_choices()
        self._guard_wheel(body)
        self._set_ai_status("")
        if not ai_available():
            self.ai.setEnabled(False)
            self._set_ai_status("AI generation is not part of this build.")
        self.apply_settings(settings)
        self._size_mode_changed()
        # The full brand list needs every palette file parsed: do it off the GUI thread once the window is up.
        self._brand_timer = QTimer(self)
        self._brand_timer.setSingleShot(True)
        self._brand_timer.timeout.connect(self._read_brands_later)
        self._brand_timer.start(BRAND_LIST_DELAY_MS)

    # ------------------------------------------------------------------------------------------- state

    def _connect_choices(self) -> None:
        def emit(*_args) -> None:
            self.choicesChanged.emit()

        for box in (self.width_cells, self.height_cells, self.width_phys, self.height_phys, self.budget,
                    *self.adjust_sliders.values()):
            box.valueChanged.connect(emit)
        for combo in (self.brand, self.fabric, self.size_unit, self.cleanup_method):
            combo.currentIndexChanged.connect(emit)
        for check in (self.use_budget, self.dither, self.detail, self.cleanup, self.alpha_empty,
                      self.empty_background, self.photo_cleanup, self.include_special, self.use_stash):
            check.toggled.connect(emit)
        self.owned.editingFinished.connect(emit)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Never narrower than the sections' content (which changes as brands load): a squeezed panel would cut
        off its right-hand controls, since it scrolls only up and down."""
        hint = super().minimumSizeHint()
        width = self.scroll.widget().minimumSizeHint().width() + self.scroll.verticalScrollBar().sizeHint().width()
        return QSize(max(hint.width(), width), hint.height())

    def _guard_wheel(self, body: QWidget) -> None:
        """The mouse wheel scrolls the panel; it changes a value only in the box or slider being edited."""
        for w in body.findChildren(QAbstractSpinBox) + body.findChildren(QComboBox) + body.findChildren(QSlider):
            w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            w.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Wheel and isinstance(obj, QWidget) and not obj.hasFocus():
            bar = self.scroll.verticalScrollBar()
            bar.setValue(bar.value() - event.angleDelta().y() // 2)
            return True  # not the value under the pointer: the panel scrolls instead
        return super().eventFilter(obj, event)

    def settings_changed(self, settings: Settings) -> None:
        """New settings from the dialog: only how things are shown (units) follows; the choices on the panel,
        which describe the pattern being worked on, stay as they are."""
        self.settings = settings
        self._update_size_hint()
        self.refresh_cleanup_readiness()  # another model folder or device: PASD's needs and time may differ

    def choices(self) -> dict[str, Any]:
        """The panel's choices, to remember for the next launch (:mod:`pixlcraft.choices`)."""
        return {
            "craft": self.current_craft(), "palette": self.current_palette_name(),
            "fabric_count": float(self.fabric.currentData() or 14.0), "size_unit": str(self.size_unit.currentData()),
            "width": self.width_cells.value(), "height": self.height_cells.value(),
            "use_budget": self.use_budget.isChecked(), "budget": self.budget.value(),
            "owned": self.owned.text(), "use_stash": self.use_stash.isChecked(),
            "dither": self.dither.isChecked(), "cleanup": self.cleanup.isChecked(),
            "detail": self.detail.isChecked(),
            "method": "ai" if self.ai.isChecked() else "classic",
            "photo_cleanup": self.photo_cleanup.isChecked(), "photo_cleanup_method": self.cleanup_key(),
            "alpha_empty": self.alpha_empty.isChecked(), "empty_background": self.empty_background.isChecked(),
            "include_special": self.include_special.isChecked(),
        }

    def restore_choices(self, values: dict[str, Any]) -> None:
        """Put back remembered choices (each one only if it still makes sense here)."""
        palette = values.get("palette")
        if isinstance(palette, str) and palette in builtin_names():
            self._select_builtin(palette)
        count = values.get("fabric_count")
        if count is not None and self.fabric.findData(float(count)) >= 0:
            self.fabric.setCurrentIndex(self.fabric.findData(float(count)))
        for key, box in (("width", self.width_cells), ("height", self.height_cells), ("budget", self.budget)):
            if key in values:
                box.setValue(int(values[key]))
        for key, check in (("use_budget", self.use_budget), ("dither", self.dither), ("cleanup", self.cleanup),
                           ("detail", self.detail),
                           ("photo_cleanup", self.photo_cleanup), ("alpha_empty", self.alpha_empty),
                           ("empty_background", self.empty_background),
                           ("include_special", self.include_special), ("use_stash", self.use_stash)):
            if key in values:
                check.setChecked(bool(values[key]))
        if values.get("photo_cleanup_method") in CHOICE_KEYS:  # files from before the menu: Automatic
            self.set_cleanup_key(values["photo_cleanup_method"])
        if "owned" in values:
            self.owned.setText(str(values["owned"]))
        unit = self.size_unit.findData(values.get("size_unit"))
        if unit >= 0:
            self.size_unit.setCurrentIndex(unit)
        if values.get("method") == "ai" and self.ai.isEnabled():
            self.ai.setChecked(True)
        self._update_size_hint()

    def show_pattern(self, pattern: Pattern) -> None:
        """Show an opened pattern's own choices: its craft and brand, its size in cells, its colour count."""
        self.select_palette(pattern.palette)
        self.size_unit.setCurrentIndex(self.size_unit.findData("cells"))
        self.width_cells.setValue(pattern.width)
        # the height follows the photo's shape again unless the pattern was made at a height of its own choosing:
        # a height kept from one pattern would squash the next photo opened
        recipe = pattern.metadata.get("recipe") or {}
        chose_height = isinstance(recipe, dict) and recipe.get("chosen_height")
        self.height_cells.setValue(pattern.height if chose_height else 0)
        used = len(pattern.used_indices())
        self.use_budget.setChecked(True)
        self.budget.setValue(max(self.budget.minimum(), min(used, self.budget.maximum())))
        self._update_size_hint()

    def _select_builtin(self, key: str) -> None:
        craft = load_builtin(key).material.craft
        button = self.craft_buttons.get(craft)
        if button is None:
            return
        button.blockSignals(True)
        button.setChecked(True)
        button.blockSignals(False)
        self._craft_changed(craft, prefer=key)

    def apply_settings(self, settings: Settings) -> None:
        """Defaults for a new pattern from the settings (craft, brand, fabric count, units)."""
        self.settings = settings
        craft = settings.default_craft
        palette = settings.default_palette
        if palette in builtin_names():
            craft = load_builtin(palette).material.craft
        button = self.craft_buttons.get(craft, self.craft_buttons["stitch"])
        button.blockSignals(True)
        button.setChecked(True)
        button.blockSignals(False)
        self._craft_changed(craft, prefer=palette)
        i = self.fabric.findData(float(settings.fabric_count))
        if i < 0:
            self.fabric.addItem(f"{settings.fabric_count:g}-count Aida", float(settings.fabric_count))
            i = self.fabric.count() - 1
        self.fabric.setCurrentIndex(i)
        if not self.by_cells:  # a new pattern's physical sizes start in the unit of the settings
            self.size_unit.setCurrentIndex(self.size_unit.findData("in" if settings.units == "in" else "cm"))
        self._update_size_hint()

    def set_crop(self, fraction: tuple[float, float, float, float] | None) -> None:
        self.crop = None if fraction is None else tuple(float(v) for v in fraction)
        self._update_size_hint()
        self.choicesChanged.emit()

    def new_photo_chosen(self) -> None:
        """Another photo: its prompt, crop and brightness/contrast/saturation start afresh."""
        self.prompt.clear()
        self.crop = None
        for slider in self.adjust_sliders.values():
            slider.blockSignals(True)
            slider.setValue(0)
            slider.blockSignals(False)

    def set_photo(self, path: str, photo: Photo | None) -> None:
        self.photo_path, self.photo = path, photo
        self.drop.set_photo(photo)
        if photo is None:
            self.photo_label.setText("No photo yet")
        else:
            self.photo_label.setText(f"{Path(path).name} · {photo.width}×{photo.height} pixels")
        self._update_size_hint()

    def select_palette(self, palette: Palette) -> None:
        """Show the craft and brand of an opened pattern, so "Make pattern" continues in the same colours."""
        key = palette.source.removeprefix("builtin:")
        if key not in builtin_names():
            return
        self._select_builtin(key)
        if load_builtin(key).material.craft == "stitch" and palette.material.pitch_mm > 0:
            count = round(MM_PER_IN / palette.material.pitch_mm, 1)
            i = self.fabric.findData(float(count))
            if i >= 0:
                self.fabric.setCurrentIndex(i)

    def set_recent_menu(self, menu) -> None:
        self.recent_button.setMenu(menu)

    def set_ai_info(self, info: dict[str, Any] | None) -> None:
        self._ai_info = info
        self._method_changed()
        if info is not None:  # models looked at again (after AI Models…, for one): PASD's needs too
            self.refresh_cleanup_readiness()

    @property
    def brands_loaded(self) -> bool:
        """Whether the full brand list is in (it is read on a worker shortly after start-up)."""
        return self._brands is not None

    def current_craft(self) -> str:
        return next((k for k, b in self.craft_buttons.items() if b.isChecked()), "stitch")

    def _read_brands_later(self) -> None:
        if self._brands is None and not self._brand_runner.busy:
            self._brand_runner.start(read_brands)

    def _brands_ready(self, brands: list[Brand]) -> None:
        self._brands = brands
        self._craft_changed(self.current_craft(), prefer=self.brand.currentData())

    def _brands_for(self, craft: str, wanted: str | None) -> list[Brand]:
        if self._brands is None:
            # The list is still being read: offer the wanted palette alone (or all, if a craft was clicked
            # before the list arrived, at the cost of a short wait here).
            if wanted in builtin_names() and load_builtin(wanted).material.craft == craft:
                p = load_builtin(wanted)
                return [Brand(wanted, p.brand, craft, p.material.pitch_mm)]
            self._brands = read_brands()
        return [b for b in self._brands if b.craft in (craft, "any")]

    def _craft_changed(self, craft: str, prefer: str | None = None) -> None:
        previous = self.brand.currentData()
        if isinstance(previous, str) and previous != "@file" and previous in builtin_names():
            self._brand_by_craft[load_builtin(previous).material.craft] = previous
        # each craft comes back with the brand last chosen for it (Hama stays Hama after a look at threads)
        current = prefer or self._brand_by_craft.get(craft) or previous
        self.brand.blockSignals(True)
        self.brand.clear()
        for b in self._brands_for(craft, current):
            self.brand.addItem(b.label, b.key)
        if self._palette_file:
            self.brand.addItem(Path(self._palette_file).name, self._palette_file)
        self.brand.addItem("Palette file…", "@file")
        i = self.brand.findData(current)
        self.brand.setCurrentIndex(max(0, i))
        self.brand.blockSignals(False)
        stitch = craft == "stitch"
        self.fabric.setVisible(stitch)
        self.fabric_label.setVisible(stitch)
        self._update_size_hint()
        self.choicesChanged.emit()  # another craft is another pattern: the preview follows

    def _brand_activated(self, index: int) -> None:
        if self.brand.itemData(index) != "@file":
            return
        path, _ = QFileDialog.getOpenFileName(self, "Choose a palette file", "",
                                              "Palettes (*.gpl *.hex *.csv);;All files (*)")
        if path:
            self._palette_file = path
            self._craft_changed(self.current_craft(), prefer=path)
        else:
            self.brand.setCurrentIndex(0)

    def _choose_owned_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Colours I own", "", "Lists (*.txt *.csv *.list);;All files (*)")
        if path:
            self.owned.setText(path)

    def _size_mode_changed(self) -> None:
        unit = self.size_unit.currentData()
        if unit in ("cm", "in") and self._shown_unit in ("cm", "in") and unit != self._shown_unit:
            factor = (10.0 if self._shown_unit == "cm" else MM_PER_IN) / (10.0 if unit == "cm" else MM_PER_IN)
            for box in (self.width_phys, self.height_phys):
                box.setValue(box.value() * factor)  # the same size, in the other unit
        self._shown_unit = unit
        cells = self.by_cells
        for w in (self.width_cells, self.height_cells):
            w.setVisible(cells)
        for w in (self.width_phys, self.height_phys):
            w.setVisible(not cells)
        if not cells and self.width_phys.value() < 1:
            pitch = self._pitch_mm()
            self.width_phys.setValue(self._from_mm(self.width_cells.value() * pitch))
        self._update_size_hint()

    def _set_ai_status(self, text: str) -> None:
        self.ai_status.setText(text)
        self.ai_status.setVisible(bool(text))

    def _method_changed(self) -> None:
        if not self.ai.isEnabled():
            return
        if not self.ai.isChecked():
            self._set_ai_status("")
            self.make_button.setText("Make pattern")
            return
        self.make_button.setText("Generate with AI")
        if self._ai_info is None:
            self._set_ai_status("Checking models and graphics card…")
            self.aiProbeRequested.emit()
            return
        info = self._ai_info
        if not info.get("engine"):
            self._set_ai_status("The AI engine is not installed yet: Pattern ▸ AI Models… installs it (a one-time "
                                "download). The classic method needs none of it.")
            return
        models = f"{info['installed']} of {info['total']} models installed"
        if info["installed"] < info["total"]:
            mb = info.get("missing_mb", 0)
            size = f"{mb / 1000:.1f} GB" if mb >= 1000 else f"{mb} MB"
            models += f" (the missing ones download on first use, about {size})"
        device = {"cuda": "NVIDIA GPU", "mps": "Apple GPU", "cpu": "CPU only"}.get(
            str(info["device"]).split(":")[0], str(info["device"]))
        self._set_ai_status(f"{models}.\nDevice: {device} · {ai_estimate_text(str(info['device']))}.")

    # ------------------------------------------------------------------------------------------- sizes

    @property
    def by_cells(self) -> bool:
        return self.size_unit.currentData() == "cells"

    def current_palette_name(self) -> str:
        data = self.brand.currentData()
        return data if isinstance(data, str) and data != "@file" else "dmc"

    def _pitch_mm(self) -> float:
        name = self.current_palette_name()
        if name in builtin_names():
            material = load_builtin(name).material
        else:
            return 1.0
        if material.craft == "stitch":
            return MM_PER_IN / float(self.fabric.currentData() or 14.0)
        return material.pitch_mm

    def _unit(self) -> str:
        """cm or in: the panel's choice when it gives sizes physically, else the settings' unit (for hints)."""
        chosen = self.size_unit.currentData()
        return chosen if chosen in ("cm", "in") else ("in" if self.settings.units == "in" else "cm")

    def _to_mm(self, value: float) -> float:
        return value * (MM_PER_IN if self._unit() == "in" else 10.0)

    def _from_mm(self, mm: float) -> float:
        return mm / (MM_PER_IN if self._unit() == "in" else 10.0)

    def cell_size(self) -> tuple[int | None, int | None]:
        """Width and height in cells as asked (None = follow the photo's shape)."""
        if self.by_cells:
            h = self.height_cells.value()
            return self.width_cells.value(), (h or None)
        pitch = self._pitch_mm()
        w = cells_from_physical(self._to_mm(self.width_phys.value()), pitch)
        hv = self.height_phys.value()
        return w, (cells_from_physical(self._to_mm(hv), pitch) if hv > 0 else None)

    def _update_size_hint(self) -> None:
        try:
            w, h = self.cell_size()
            if self.photo is not None:
                pw, ph = self.photo.width, self.photo.height
                if self.crop is not None:  # the chosen part decides the shape
                    pw = max(1, round(pw * (self.crop[2] - self.crop[0])))
                    ph = max(1, round(ph * (self.crop[3] - self.crop[1])))
                    h = None
                w, h = target_cells(pw, ph, w, h)
        except InputError as e:
            self.size_hint.setText(str(e))
            return
        pitch = self._pitch_mm()
        unit = self._unit()
        if h is None:
            across = f"{self._from_mm(w * pitch):.1f} {unit} wide"
            self.size_hint.setText(f"{w} cells across · {across}")
        else:
            size = f"{self._from_mm(w * pitch):.1f} × {self._from_mm(h * pitch):.1f} {unit}"
            self.size_hint.setText(f"{w} × {h} cells · {size}")
        name = self.current_palette_name()
        if name in builtin_names():
            m = load_builtin(name).material
            if m.craft == "bead":
                boards = max(1, -(-w // 29)) * max(1, -(-(h or w) // 29))
                self.material_hint.setText(f"{m.pitch_mm:g} mm beads · about {boards} large pegboards")
            elif m.craft == "brick":
                self.material_hint.setText("1×1 plates, 8 mm per stud")
            else:
                self.material_hint.setText("")
        self.material_hint.setVisible(bool(self.material_hint.text()))

    # ------------------------------------------------------------------------------------------- request

    def request(self) -> MakeRequest:
        """The current choices as a request (sizes converted to cells)."""
        w, h = self.cell_size()
        name = self.current_palette_name()
        stitch = name in builtin_names() and load_builtin(name).material.craft == "stitch"
        return MakeRequest(
            method="ai" if self.ai.isChecked() else "classic",
            photo_path=self.photo_path,
            prompt=self.prompt.toPlainText(),
            palette=name,
            owned=self.owned.text().strip(),
            use_stash=self.use_stash.isChecked(),
            fabric_count=float(self.fabric.currentData()) if stitch else None,
            width=w,
            height=h,
            max_colors=self.budget.value() if self.use_budget.isChecked() else None,
            dither=self.dither.isChecked(),
            detail=self.detail.isChecked(),
            cleanup=self.cleanup.isChecked(),
            photo_cleanup=self.cleanup_key() if self.photo_cleanup.isChecked() else None,
            alpha_empty=self.alpha_empty.isChecked(),
            empty_background=self.empty_background.isChecked(),
            include_special=self.include_special.isChecked(),
            crop=self.crop,
            **{name: slider.value() / 100.0 for name, slider in self.adjust_sliders.items()},
            device=self.settings.device,
            low_memory=self.settings.low_memory,
            compile=self.settings.compile_models,
        )

    def _make(self) -> None:
        self.makeRequested.emit(self.request())

    def set_busy(self, busy: bool) -> None:
        self.make_button.setEnabled(not busy)
        self.drop.setEnabled(not busy)
