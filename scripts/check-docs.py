#!/usr/bin/env python3
"""Checks that the docs match the code (run by `make test` and `make check`):

- every file or folder a page links to or names in backticks exists;
- every Swift type a page names in backticks (`Worker`, `KDFPool.submit`) is
  declared under Sources/ or Fuzz/;
- every `FLASK_*` / `AUTHGATE_*` setting a page names is read somewhere
  (Sources/, scripts/, deploy/, Tests/, the Makefile);
- every setting the Swift code reads is documented in docs/configuration.md.

Prints each mismatch with its page and line, and exits 1 if there is one.
A backticked name that only looks like a type or a path (an HTTP header, a
shell command) is left alone by the patterns below, not by a list of
exceptions; the few real exceptions are in ALLOWED with the reason.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PAGES = ["README.md", "SECURITY.md", "deploy/README.md", "deploy/production/README.md", "Fuzz/README.md"]
PAGES += sorted(os.path.join("docs", f) for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))

# Names that look like types but are not AuthGate's, with the reason.
ALLOWED = {
    "InMemoryLogging": "swift-log's test kit",
    "TestMetrics": "swift-metrics' test kit",
    "Foundation": "the Swift library, named to say it is not linked",
    "FoundationEssentials": "the Swift library",
    "FoundationNetworking": "the Swift library",
    "Synchronization": "the Swift standard library module",
    "Glibc": "the Swift overlay module",
    "Dispatch": "the Swift library",
    "ServiceLifecycle": "a package AuthGate does not use, named in a comparison",
    "Mutex": "the standard library's (Synchronization), named where AuthGate stopped using it",
    "Atomic": "the standard library's (Synchronization)",
    "Malloc": "libfcgi's allocation, as a sanitizer report names it",
    "Allow": "an HTTP header",
    "Authorization": "an HTTP header",
    "ProcessManagementRecord": "a type inside Swift's runtime that TSan reports name",
}

# Pages that name Swift types; elsewhere CamelCase is mostly systemd or Python.
CODE_PAGES = {"docs/ARCHITECTURE.md", "docs/sanitizers.md", "docs/fuzzing.md", "docs/observability.md",
              "docs/testing.md"}

SETTING = re.compile(r"\b((?:FLASK|AUTHGATE)_[A-Z0-9_]*[A-Z0-9])\b")
BACKTICK = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
# A type: CamelCase with a lower-case letter, optionally `.member`.
TYPE = re.compile(r"^([A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)*)(?:\.[a-z][A-Za-z0-9]*)?(?:\(\))?$")
# A path: at least one slash or a file extension AuthGate uses, no spaces or wildcards.
PATH = re.compile(r"^(?:\.{0,2}/)?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*/?$")
EXTENSIONS = (".swift", ".py", ".sh", ".md", ".conf", ".yml", ".yaml", ".c", ".h", ".lua", ".service", ".socket",
              ".ini", ".txt", ".json", ".modulemap")
TOP_FOLDERS = ("Sources/", "Tests/", "docs/", "deploy/", "scripts/", "Fuzz/", ".ci/")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def walk(folders, extensions):
    for folder in folders:
        base = os.path.join(ROOT, folder)
        if os.path.isfile(base):
            yield folder
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".build") and d not in (".venv", "__pycache__")]
            for name in filenames:
                if name.endswith(extensions):
                    yield os.path.relpath(os.path.join(dirpath, name), ROOT)


def swift_declarations():
    names = set()
    decl = re.compile(r"\b(?:class|struct|enum|protocol|actor|typealias|extension)\s+([A-Z][A-Za-z0-9_]*)")
    for path in walk(["Sources", "Fuzz", "Tests"], (".swift",)):
        names.update(decl.findall(read(path)))
    # Targets and C modules are named like types too.
    names.update(re.findall(r'name:\s*"([A-Za-z0-9-]+)"', read("Package.swift")))
    return names


def settings_in_code():
    """Settings the Swift code reads: string literals naming one."""
    found = {}
    literal = re.compile(r'"((?:FLASK_|AUTHGATE_|JWT_)[A-Z0-9_]*[A-Z0-9])"')
    for path in walk(["Sources"], (".swift",)):
        for n, line in enumerate(read(path).splitlines(), 1):
            for name in literal.findall(line):
                # Flask-JWT-Extended's cookie settings are read by their name after FLASK_.
                name = "FLASK_" + name if name.startswith("JWT_") else name
                found.setdefault(name, f"{path}:{n}")
    return found


def settings_anywhere():
    text = []
    for path in walk(["Sources", "scripts", "deploy", "Tests", "Makefile", "docker-compose.yml", "Dockerfile", ".ci"],
                     (".swift", ".py", ".sh", ".conf", ".yml", ".service", ".socket", ".lua", "Makefile", "Dockerfile",
                      "run", ".env", ".example")):
        text.append(read(path))
    return set(SETTING.findall("\n".join(text))) | set(settings_in_code())


def path_exists(name, page):
    name = name.split("#")[0].rstrip(":")
    if not name:
        return True
    candidates = [os.path.join(ROOT, name), os.path.join(ROOT, os.path.dirname(page), name),
                  os.path.join(ROOT, "Sources", name)]
    return any(os.path.exists(c) for c in candidates)


def looks_like_path(text):
    """A path in this repository: absolute paths, generated folders and
    other projects' files (`src/backend/...`) are not checked."""
    if not PATH.match(text) or text.startswith(("-", "/", ".build")) or "//" in text or "..." in text:
        return False
    if text.startswith(TOP_FOLDERS):
        return True
    first = text.split("/")[0]
    return text.endswith(EXTENSIONS) and "/" in text and (os.path.exists(os.path.join(ROOT, first))
                                                          or os.path.exists(os.path.join(ROOT, "Sources", first)))


def main():
    types = swift_declarations()
    code_settings = settings_in_code()
    known_settings = settings_anywhere()
    problems = []
    documented = set()
    for page in PAGES:
        if not os.path.exists(os.path.join(ROOT, page)):
            continue
        in_code_block = False
        for n, line in enumerate(read(page).splitlines(), 1):
            where = f"{page}:{n}"
            documented.update(SETTING.findall(line)) if page == "docs/configuration.md" else None
            for name in SETTING.findall(line):
                # FLASK_JWT_... prefixes ending in '_' and `*_FILE` forms are read by pattern.
                base = re.sub(r"_FILE$", "", name)
                if name not in known_settings and base not in known_settings:
                    problems.append(f"{where}: setting {name} is read nowhere")
            if line.lstrip().startswith("```"):
                in_code_block = not in_code_block
            for target in LINK.findall(line):
                if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                    continue
                if not path_exists(target, page):
                    problems.append(f"{where}: link to {target}, which does not exist")
            if in_code_block:
                continue
            for text in BACKTICK.findall(line):
                text = text.strip()
                if looks_like_path(text) and not path_exists(text, page):
                    problems.append(f"{where}: `{text}` names a file that does not exist")
                m = TYPE.match(text) if page in CODE_PAGES and not text.endswith(EXTENSIONS) else None
                if m and m.group(1) not in types and m.group(1) not in ALLOWED:
                    problems.append(f"{where}: `{text}` names a type declared nowhere in Sources/")
    for name, where in sorted(code_settings.items()):
        if name not in documented:
            problems.append(f"{where}: setting {name} is read but not documented in docs/configuration.md")
    for p in problems:
        print(p)
    print(f"check-docs: {len(PAGES)} pages, {len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
