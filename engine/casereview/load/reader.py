"""Read an input file's bytes and decode them to text.

Accepted: UTF-8 (with or without BOM), UTF-16/UTF-32 with BOM, and GB18030 (a superset of
GBK/GB2312, common in files saved by Chinese Windows software). Line endings are normalised
to ``\\n`` so that line numbers agree with what an editor shows.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..cachesafe import read_rest
from ..memo import remember
from ..model.unknown import may_hold_marker
from .errors import InputError, InputRejected

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

GB18030_NOTE = "文件编码为 GB18030/GBK，已自动转换"

# C0 control characters other than tab, LF and CR (and DEL): never found in a text export.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# every byte but those characters': what deleting them leaves of a file is its control bytes.
# In UTF-8 and GB18030 a control character is its own single byte, and that byte is never part
# of another character, so a file without such bytes decodes to a text without such characters.
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if _CONTROL.match(chr(b)) is None)

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),  # before UTF-16 LE: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", ""),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "这似乎是 Excel/Word（xlsx/docx）或压缩包文件"),
    (b"\xd0\xcf\x11\xe0", "这似乎是旧版 Excel/Word（xls/doc）文件"),
    (b"%PDF", "这似乎是 PDF 文件"),
)

_HINT = "请导出为 UTF-8 编码的 YAML、JSON 或 CSV 文本文件"


@dataclass
class DecodedText:
    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)
    markers: bool = True  # whether the text may hold an unknown marker (model/unknown.py)
    utf8: bytes | None = None  # the text's UTF-8 encoding, when it is the file's bytes


def read_text(
    path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES, markers: bool = True, controls: bool = True
) -> DecodedText:
    """Read and decode a file; raises `InputRejected` with a Chinese message on any problem."""
    return decode_bytes(read_bytes(path, max_bytes=max_bytes), str(path), markers=markers, controls=controls)


def read_bytes(path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """A regular file's bytes, at most `max_bytes`; raises `InputRejected` otherwise.

    The file is opened non-blocking and checked on the open descriptor (not by name first), so
    a FIFO, device or socket named as a case file, or swapped in for one mid-run, is refused
    instead of blocking the batch forever."""
    name = str(path)
    try:
        fd = _open(path, name)
    except FileNotFoundError:
        message = "符号链接指向的文件不存在" if os.path.islink(path) else "文件不存在"
        raise InputRejected([InputError(name, None, None, None, message)]) from None
    except IsADirectoryError:
        raise InputRejected([InputError(name, None, None, None, "这是一个目录，不是文件")]) from None
    except PermissionError:
        raise InputRejected([InputError(name, None, None, None, "没有读取该文件的权限")]) from None
    except OSError as exc:
        raise _unreadable(name, exc) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputRejected([InputError(name, None, None, None, "这是一个目录，不是文件")])
        if not stat.S_ISREG(info.st_mode):
            raise InputRejected(
                [InputError(name, None, None, None, f"不是普通文件（{_kind(info.st_mode)}），未读取")]
            )
        if info.st_size > max_bytes:
            raise _too_large(name, info.st_size, max_bytes)
        # Only a regular file gets here, and O_NONBLOCK does not change its reads: the descriptor
        # stays as opened. Asking one byte more than its size and getting exactly its size is the
        # end of the file: two system calls a file fewer (each ~10-17 us in a review worker).
        data = os.read(fd, info.st_size + 1)
        if len(data) != info.st_size:  # grew, shrank, or its size is not its length (/proc)
            data = read_rest(fd, data, max_bytes)
    except InputRejected:
        raise
    except OSError as exc:
        raise _unreadable(name, exc) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise _too_large(name, len(data), max_bytes)
    return data


_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# The names last opened as themselves, no symbolic link last (`not_a_link`): a report showing the
# file's name needs to know that (a link is shown as its target) and would look again, one system
# call a file (~10-17 us in a review worker between reviews). Bounded: a worker's chunk at a time.
_PLAIN_NAMES = 256
_plain: dict[str, None] = {}


def _open(path: Path | str, name: str) -> int:
    """`os.open` for reading, first without following a last symbolic link (it fails with ELOOP on
    one: then opened through it, as before); a name opened so is kept for `not_a_link`."""
    if _NOFOLLOW:
        try:
            fd = os.open(path, _READ_FLAGS | _NOFOLLOW)
        except OSError as exc:
            if exc.errno != errno.ELOOP:  # ELOOP: a link (or a loop of them: the same error below)
                raise
        else:
            remember(_plain, name, None, _PLAIN_NAMES)
            return fd
    _plain.pop(name, None)
    return os.open(path, _READ_FLAGS)


def not_a_link(name: str) -> bool:
    """True when `name` was read lately (`read_bytes`) and was no symbolic link then; False: not
    known (look at the file)."""
    return name in _plain


def _unreadable(name: str, exc: OSError) -> InputRejected:
    reason = exc.strerror or type(exc).__name__
    return InputRejected([InputError(name, None, None, None, f"无法读取文件：{reason}")])


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "命名管道 FIFO"
    if stat.S_ISSOCK(mode):
        return "套接字"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    return "特殊文件"


def decode_bytes(data: bytes, file: str, *, markers: bool = True, controls: bool = True) -> DecodedText:
    """Decode `data` (see module docstring); `file` is only used in error messages. Without
    `markers` the text is not looked at for an unknown marker (`DecodedText.markers` stays
    True): the caller looks elsewhere. Without `controls` it is not looked at for control
    characters either: the caller refuses them (`refuse_controls`) before it reports anything
    else about the text."""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                # utf-8-sig counts from after the BOM, utf-16/32 from the start of the file
                offset = exc.start + (len(bom) if codec == "utf-8-sig" else 0)
                raise InputRejected(
                    [
                        InputError(
                            file,
                            None,
                            None,
                            None,
                            f"无法识别的文件编码：文件以 {label or 'UTF-8'} 标记开头，"
                            f"但第 {offset} 字节处无法解码。{_HINT}",
                        )
                    ]
                ) from None
            text = text.lstrip("\ufeff")
            notes = [f"文件编码为 {label}，已自动转换"] if label else []
            return _finish(text, codec, notes, file, controls)

    nul = data.find(b"\x00")
    if nul >= 0:
        hint = next(
            (h for sig, h in _SIGNATURES if data.startswith(sig)), "文件含有 NUL 字节，可能是二进制文件"
        )
        line, column = _byte_position(data, nul)
        raise InputRejected([InputError(file, line, column, None, f"无法识别的文件编码：{hint}。{_HINT}")])

    try:
        decoded = _finish(data.decode("utf-8"), "utf-8", [], file, controls and _has_control_bytes(data))
        decoded.markers = may_hold_marker(decoded.text) if markers else True
        if b"\r" not in data:  # else line endings were changed
            decoded.utf8 = data
        return decoded
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as gb_error:
            if gb_error.start > utf8_error.start:
                offset, detail = gb_error.start, "文件看起来是 GB18030/GBK 编码，但此处有无法解码的字节"
            else:
                offset, detail = utf8_error.start, "既不是 UTF-8 也不是 GB18030/GBK 编码"
            hint = next((h for sig, h in _SIGNATURES if data.startswith(sig)), "")
            line, column = _byte_position(data, offset)
            message = f"无法识别的文件编码：{detail}（第 {offset} 字节）"
            if hint:
                message += f"；{hint}"
            raise InputRejected([InputError(file, line, column, None, f"{message}。{_HINT}")]) from None
        return _finish(text, "gb18030", [GB18030_NOTE], file, controls and _has_control_bytes(data))


def _has_control_bytes(data: bytes) -> bool:
    return bool(data.translate(None, _NOT_CONTROL_BYTES))  # ~8x faster than searching the text


def _finish(text: str, encoding: str, notes: list[str], file: str, maybe_control: bool = True) -> DecodedText:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if maybe_control:
        refuse_controls(text, file)
    return DecodedText(text, encoding, notes)


def refuse_controls(text: str, file: str) -> None:
    """Raise `InputRejected` naming the first control character of decoded `text`, if any."""
    bad = _CONTROL.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise InputRejected(
            [
                InputError(
                    file,
                    line,
                    column,
                    None,
                    f"无法识别的文件编码：文件含有控制字符 U+{ord(bad.group()):04X}，"
                    f"可能是二进制文件或已损坏。{_HINT}",
                )
            ]
        )


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and (character) column of byte `offset` in an ASCII-compatible encoding."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    prefix = data[line_start:offset]
    try:
        column = len(prefix.decode("utf-8")) + 1
    except UnicodeDecodeError:
        column = len(prefix.decode("gb18030", errors="replace")) + 1
    return line, column


def _too_large(file: str, size: int, max_bytes: int) -> InputRejected:
    return InputRejected(
        [
            InputError(
                file,
                None,
                None,
                None,
                f"文件过大（{size / 1024 / 1024:.1f} MB），超过上限 {max_bytes / 1024 / 1024:g} MB",
            )
        ]
    )
