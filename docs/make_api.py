"""Write docs/api.md, the API reference, from the public names and their docstrings.

    python docs/make_api.py            # rewrite docs/api.md
    python docs/make_api.py --check    # exit 1 if docs/api.md is out of date

The public API is every name in the ``__all__`` of ``minigrad``, of each public module
reachable from it through ``__all__`` (``minigrad.nn``, ``minigrad.nn.init``, ...), and of
the roots listed in ``EXTRA_ROOTS`` (modules that are public but not re-exported by
``minigrad``).  Each object is described once, at its shortest public path, by its signature
and the first paragraph of its docstring; classes also list the public methods and
properties they define.  Other paths to the same object are listed as aliases.

tests/test_docs.py checks that the file is up to date and names every public name.
"""
import importlib
import inspect
import os
import re
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
API_MD = os.path.join(HERE, "api.md")
ROOT = "minigrad"
# public modules that ``minigrad.__all__`` does not reach
EXTRA_ROOTS = ["minigrad.train", "minigrad_kernels"]
# Python's operator methods, shown as one line per class
OPERATORS = {
    "__add__": "+", "__sub__": "-", "__mul__": "*", "__truediv__": "/", "__floordiv__": "//",
    "__mod__": "%", "__pow__": "**", "__matmul__": "@", "__neg__": "unary -", "__pos__": "unary +",
    "__abs__": "abs()", "__eq__": "==", "__ne__": "!=", "__lt__": "<", "__le__": "<=",
    "__gt__": ">", "__ge__": ">=", "__and__": "&", "__or__": "|", "__xor__": "^",
    "__invert__": "~", "__getitem__": "x[index]", "__setitem__": "x[index] = value",
    "__len__": "len()", "__iter__": "iter()", "__call__": "call", "__bool__": "bool()",
    "__float__": "float()", "__int__": "int()", "__array__": "np.asarray()",
    "__iadd__": "+=", "__isub__": "-=", "__imul__": "*=", "__itruediv__": "/=",
    "__contains__": "in", "__enter__": "with", "__dlpack__": "DLPack export",
}


def public_modules():
    """Public module names in the order they are documented (depth first from the roots)."""
    order, seen = [], set()

    def visit(name):
        if name in seen:
            return
        seen.add(name)
        order.append(name)
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            value = getattr(module, attr)
            if isinstance(value, types.ModuleType) and value.__name__.startswith(name + "."):
                visit(value.__name__)

    for root in [ROOT] + EXTRA_ROOTS:
        visit(root)
    return order


def public_names():
    """``[(module, name)]`` for every name in every public module's ``__all__``."""
    out = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        out += [(module_name, name) for name in getattr(module, "__all__", [])]
    return out


def first_paragraph(obj):
    """The docstring's first paragraph, reST literals (``x``) as Markdown code (`x`)."""
    doc = inspect.getdoc(obj) or ""
    text = doc.split("\n\n")[0].strip().replace("``", "`")
    return re.sub(r":(?:func|class|meth|mod|attr|data|exc):`~?", "`", text)


def _clean(text):
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)


def signature(obj, method=False):
    """``(a, b=1)``; for a method defined in a class, without ``self`` / ``cls``."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    params = list(sig.parameters.values())
    if method and params and params[0].name in ("self", "cls"):
        sig = sig.replace(parameters=params[1:])
    return _clean(str(sig))


def class_members(cls):
    """Public methods and properties defined in ``cls`` itself (not inherited)."""
    members, operators = [], []
    for name, value in vars(cls).items():
        if name in OPERATORS:
            operators.append(OPERATORS[name])
            continue
        if name.startswith("_"):
            continue
        if isinstance(value, property):
            members.append((f"{name}", "property", first_paragraph(value)))
        elif isinstance(value, (staticmethod, classmethod)):
            func = value.__func__
            members.append((f"{name}{signature(func, method=True)}", type(value).__name__,
                            first_paragraph(func)))
        elif inspect.isfunction(value):
            members.append((f"{name}{signature(value, method=True)}", "",
                            first_paragraph(value)))
        elif not callable(value):
            members.append((f"{name} = {_clean(repr(value))}", "attribute", ""))
    return members, operators


def constant_line(path, value):
    """``- `path = value```, or just the type for a long value (a table: its contents
    change with the code and belong to the module's own documentation)."""
    text = one_line(_clean(repr(value)))
    if len(text) > 80:
        return f"- `{path}`: a {type(value).__name__} (see `help({path.rsplit('.', 1)[0]})`)"
    return f"- `{path} = {text}`"


def one_line(text):
    return " ".join(text.split())


def describe(path, obj):
    """The Markdown block of one public object."""
    lines = []
    if isinstance(obj, type):
        bases = [b.__name__ for b in obj.__bases__ if b is not object]
        base = f" ({', '.join(bases)})" if bases else ""
        call = "" if issubclass(obj, BaseException) else signature(obj)
        lines.append(f"### `{path}{call}`{base}")
        lines.append("")
        summary = first_paragraph(obj)
        if summary:
            lines += [summary, ""]
        members, operators = class_members(obj)
        for member, kind, doc in members:
            tag = f" *{kind}*" if kind else ""
            lines.append(f"- `{member}`{tag}" + (f": {one_line(doc)}" if doc else ""))
        if operators:
            lines.append(f"- operators: {', '.join(f'`{op}`' for op in operators)}")
        if members or operators:
            lines.append("")
    elif callable(obj):
        lines.append(f"### `{path}{signature(obj)}`")
        lines.append("")
        summary = first_paragraph(obj)
        if summary:
            lines += [summary, ""]
    return lines


def render():
    modules = public_modules()
    home = {}            # id(object) -> its documented path (the first one met)
    names_by_module = {m: getattr(importlib.import_module(m), "__all__", []) for m in modules}
    # shortest path first: an object re-exported by minigrad is documented there
    for module_name in sorted(modules, key=lambda m: m.count(".")):
        module = importlib.import_module(module_name)
        for name in names_by_module[module_name]:
            value = getattr(module, name)
            if isinstance(value, types.ModuleType) or _is_plain_value(value):
                continue
            home.setdefault(id(value), f"{module_name}.{name}")

    out = [
        "# minigrad API reference",
        "",
        "Every public name of minigrad, with its signature and the first paragraph of its",
        "docstring (`help(name)` gives the rest: arguments, shapes, formulas, examples).",
        "Generated by `python docs/make_api.py` from the code; do not edit by hand.",
        "`tests/test_docs.py` fails when a public name is missing or the file is out of date.",
        "",
        "For how the parts fit together, read [architecture.md](architecture.md); for the",
        "kernel registry, [kernels.md](kernels.md).",
        "",
        "## Modules",
        "",
    ]
    for module_name in modules:
        summary = one_line(first_paragraph(importlib.import_module(module_name)))
        out.append(f"- [`{module_name}`](#{_anchor(module_name)}): {summary}")
    out.append("")
    for module_name in modules:
        module = importlib.import_module(module_name)
        out += [f"## {module_name}", ""]
        doc = first_paragraph(module)
        if doc:
            out += [doc, ""]
        constants, aliases = [], []
        for name in names_by_module[module_name]:
            value = getattr(module, name)
            path = f"{module_name}.{name}"
            if isinstance(value, types.ModuleType):
                aliases.append(f"- `{path}`: the module [`{value.__name__}`]"
                               f"(#{_anchor(value.__name__)})")
            elif _is_plain_value(value):
                constants.append(constant_line(path, value))
            elif home[id(value)] != path:
                aliases.append(f"- `{path}`: the same object as `{home[id(value)]}`")
            else:
                out += describe(path, value)
        if constants:
            out += ["Constants:", ""] + constants + [""]
        if aliases:
            out += ["Also available here:", ""] + aliases + [""]
    return "\n".join(out).rstrip() + "\n"


def _is_plain_value(value):
    """Numbers, strings, dtypes, tuples and dicts are described where they appear."""
    return not (callable(value) or isinstance(value, types.ModuleType))


def _anchor(module_name):
    return module_name.replace(".", "").replace("_", "_").lower()


def missing_names(text):
    """The public names (``module.name``) that ``text`` does not document."""
    return [f"{module}.{name}" for module, name in public_names()
            if not re.search(re.escape(f"`{module}.{name}") + r"[`( =]", text)]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        with open(API_MD, encoding="utf-8") as f:
            current = f.read()
        if current != text:
            print("docs/api.md is out of date: run `python docs/make_api.py`", file=sys.stderr)
            return 1
        return 0
    with open(API_MD, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {API_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
