"""A form with files (``multipart/form-data``), read by Starlette and python-multipart, bounded.

The pages' forms are url-encoded (:meth:`.kit.Kit.form_of`); a form with a file input is multipart. The app
reads at most :data:`spplus.limits.MAX_REQUEST_BYTES` of any request (:class:`spplus.api.body.BodyLimit`);
here at most :data:`MAX_PARTS` parts are taken, a text field is UTF-8 text, a file is its bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from ...limits import MAX_REQUEST_BYTES

MAX_PARTS = 60


@dataclass
class UploadedFile:
    field: str
    name: str  # the file's own name, without any folder the browser sent
    data: bytes


@dataclass
class MultipartForm:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)
    refused: str | None = None  # why the form could not be read, in French


def _base_name(name: str) -> str:
    """A file name with any folder stripped (browsers send the name alone; a few send a Windows path)."""
    return PurePosixPath(PureWindowsPath(name).name).name


async def multipart_of(request: Request) -> MultipartForm:
    """The form's fields and files; ``refused`` says why when it cannot be read (nothing is then read).

    Parsed by Starlette with python-multipart, bounded: at most :data:`MAX_PARTS` fields and files, and
    :data:`MAX_REQUEST_BYTES` in all (the app's :class:`~spplus.api.body.BodyLimit` stops a larger body first).
    """
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data") or "boundary=" not in kind:
        return MultipartForm(refused="Le formulaire n'a pas été envoyé comme un envoi de fichiers (multipart/form-data).")
    try:
        parsed = await request.form(max_files=MAX_PARTS, max_fields=MAX_PARTS, max_part_size=MAX_REQUEST_BYTES)
    except HTTPException as exc:  # too many parts, or a part too large
        return MultipartForm(refused=f"Le formulaire est refusé : {exc.detail}.")
    except (MultiPartException, ValueError):
        return MultipartForm(refused="Le formulaire envoyé est illisible.")
    form = MultipartForm()
    try:
        for name, value in parsed.multi_items():
            if isinstance(value, str):
                form.fields.setdefault(name, []).append(value)
                continue
            data = await value.read()
            if value.filename or data:  # a file input left empty sends a nameless, empty part
                form.files.append(UploadedFile(field=name, name=_base_name(value.filename or ""), data=data))
    finally:
        await parsed.close()
    return form
