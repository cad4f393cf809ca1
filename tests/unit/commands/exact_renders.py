"""Which command builders have an exact-render test, found by reading the tests (not running them).

A *builder* is a public function defined in a module of `dockyard.commands` whose return
annotation is a command type: `Cmd`, `Raw`, `Seq`, `Command`, or a union of these with `None`.
The rest of a module's public functions are helpers told apart by that same annotation: argv
fragments (`label_filters`, `volume_args`, `repeat`: `list[str]`), paths and names (`str`,
`HomePath`), file contents (`env_file`, `local_registry_config`: `str`), env maps (`dict`) and
Caddy's JSON (`caddy_config`). They reach a server only inside a builder's command, whose test
renders them. A function whose annotation holds a command type in any other shape (a list of
commands, a method returning one) is refused by `enumeration_problems`: a builder returns one
command value from a module-level function, so that it can be enumerated.

A builder is *covered* by an assert statement

    assert <render> == <literal>          (or <literal> == <render>)

where
- <render> is `B(...).render()` or `B(...).render(redact=True)`, or a name assigned earlier in
  the same test from `B(...)` (then `name.render(...)`) or from `B(...).render(...)`; `B` is
  the builder, reached through the test file's imports (`app.run`, `commands.build`, a name
  imported from its module, or one that module re-exports);
- <literal> is a string literal (implicit concatenation allowed), nothing computed: it cannot be
  derived from the builder's output, so the assert fails when the output changes;
- the assert is a statement of the body of a module-level `def test_*()` that has no parameters
  (no fixture can skip it) and no decorators (no skip, xfail or empty parametrization), before
  any `return`, `raise` or `pytest.skip/xfail/fail/exit` in that body, in a
  `tests/unit/commands/test_*.py` file without `pytestmark` that replaces nothing it imports
  (no attribute assignment, `setattr`, `patch` or `MonkeyPatch`; and no conftest.py applies to
  that directory, see `conftest_files`); a name that is bound anywhere else in the test (in a
  loop, a branch, by `:=`) is not trusted. So the assert runs every time the file is collected,
  against the real builder.

A builder whose output depends on the engine beyond its name (it reads another attribute of an
`Engine`, or calls something in dockyard.commands that does) needs a covering assert with
`DOCKER` and one with `PODMAN` given to it by name.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dockyard.commands
from dockyard.commands.base import Cmd, Raw, Seq
from dockyard.engine import Engine

COMMAND_TYPES: frozenset[type] = frozenset({Cmd, Raw, Seq})
TESTS = Path(__file__).resolve().parent
STOPPERS = {"skip", "xfail", "fail", "exit", "importorskip"}
PATCHERS = {"setattr", "delattr", "patch", "MonkeyPatch"}

Builder = Callable[..., Any]


# --- the builders -----------------------------------------------------------------------------
def command_modules() -> list[types.ModuleType]:
    found = pkgutil.walk_packages(dockyard.commands.__path__, "dockyard.commands.")
    return [importlib.import_module(info.name) for info in sorted(found, key=lambda i: i.name)]


def _members(hint: Any) -> tuple[Any, ...]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def returns_command(function: Callable[..., Any]) -> bool:
    """True when the return annotation is a command type (or one of them, or None)."""
    kinds = set(_members(typing.get_type_hints(function).get("return"))) - {type(None)}
    return bool(kinds) and kinds <= COMMAND_TYPES


def _mentions_command(hint: Any) -> bool:
    if hint in COMMAND_TYPES:
        return True
    return any(_mentions_command(arg) for arg in typing.get_args(hint))


def _own_functions(module: types.ModuleType) -> Iterator[tuple[str, Callable[..., Any]]]:
    for name, value in vars(module).items():
        if inspect.isfunction(value) and value.__module__ == module.__name__:
            yield name, value


def builders() -> list[Builder]:
    return [
        function
        for module in command_modules()
        for name, function in _own_functions(module)
        if not name.startswith("_") and returns_command(function)
    ]


def builder_name(builder: Builder) -> str:
    return f"{builder.__module__.removeprefix('dockyard.')}.{builder.__name__}"


def enumeration_problems() -> list[str]:
    """Functions that return commands in a shape the enumeration cannot see."""
    problems = []
    for module in command_modules():
        functions = list(_own_functions(module))
        for klass in vars(module).values():
            if inspect.isclass(klass) and klass.__module__ == module.__name__:
                functions += [(f"{klass.__name__}.{n}", f) for n, f in vars(klass).items()
                              if inspect.isfunction(f)]  # fmt: skip
        for name, function in functions:
            hint = typing.get_type_hints(function).get("return")
            if _mentions_command(hint) and ("." in name or not returns_command(function)):
                problems.append(f"{module.__name__}.{name} returns {hint}")
    return problems


# --- which builders depend on the engine beyond its name ---------------------------------------
def _engine_parameters(function: Callable[..., Any]) -> set[str]:
    hints = typing.get_type_hints(function)
    return {name for name, hint in hints.items() if name != "return" and hint is Engine}


def _called(function: Callable[..., Any], tree: ast.AST) -> Iterator[Callable[..., Any]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = _resolve(node.func, function.__globals__)
            if inspect.isfunction(target) and target.__module__.startswith("dockyard.commands."):
                yield target


def engine_dependent(function: Callable[..., Any], _seen: frozenset[str] = frozenset()) -> bool:
    """Reads an Engine attribute other than `name`, or calls a command function that does."""
    key = f"{function.__module__}.{function.__qualname__}"
    if key in _seen:
        return False
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    engines = _engine_parameters(function)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in engines and node.attr != "name"):  # fmt: skip
            return True
    return any(engine_dependent(f, _seen | {key}) for f in _called(function, tree))


# --- the exact renders in the tests -----------------------------------------------------------
@dataclass(frozen=True)
class ExactRender:
    builder: Builder
    expected: str
    redact: bool
    engines: frozenset[str]  # the engines given to the builder by name (DOCKER, PODMAN)
    where: str  # file:line


def _resolve(node: ast.expr, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, names)
        return getattr(base, node.attr, None) if isinstance(base, types.ModuleType) else None
    return None


def _imported_names(tree: ast.Module) -> dict[str, Any]:
    """What each imported name is, for every import in the file (module level or in a test)."""
    names: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name if alias.asname else alias.name.split(".")[0]
                names[alias.asname or top] = importlib.import_module(top)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module = importlib.import_module(node.module)
            for alias in node.names:
                value = getattr(module, alias.name, None)
                if value is None:
                    value = importlib.import_module(f"{node.module}.{alias.name}")
                names[alias.asname or alias.name] = value
    return names


@dataclass
class _TestScan:
    """One test function's statements, read in order."""

    path: Path
    names: dict[str, Any]
    known: set[Builder]
    untrusted: set[str]
    commands: dict[str, ast.Call]  # name -> the builder call it holds
    rendered: dict[str, tuple[ast.Call, bool]]  # name -> (builder call, redact)

    def builder_call(self, node: ast.expr) -> ast.Call | None:
        if isinstance(node, ast.Call) and _resolve(node.func, self.names) in self.known:
            return node
        if isinstance(node, ast.Name) and node.id not in self.untrusted:
            return self.commands.get(node.id)
        return None

    def render_of(self, node: ast.expr) -> tuple[ast.Call, bool] | None:
        if isinstance(node, ast.Name) and node.id not in self.untrusted:
            return self.rendered.get(node.id)
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            return None
        if node.func.attr != "render" or node.args:
            return None
        redact = False
        for keyword in node.keywords:
            if keyword.arg != "redact" or not isinstance(keyword.value, ast.Constant):
                return None
            redact = keyword.value.value is True
        call = self.builder_call(node.func.value)
        return (call, redact) if call is not None else None

    def assign(self, statement: ast.Assign) -> None:
        target = statement.targets[0] if len(statement.targets) == 1 else None
        if not isinstance(target, ast.Name):
            return  # its names are untrusted (bound other than by a plain assignment)
        name = target.id
        self.commands.pop(name, None)
        self.rendered.pop(name, None)
        if (call := self.builder_call(statement.value)) is not None:
            self.commands[name] = call
        elif (render := self.render_of(statement.value)) is not None:
            self.rendered[name] = render

    def exact(self, statement: ast.Assert) -> ExactRender | None:
        test = statement.test
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1
                and isinstance(test.ops[0], ast.Eq)):  # fmt: skip
            return None
        for side, other in ((test.left, test.comparators[0]), (test.comparators[0], test.left)):
            render = self.render_of(side)
            literal = isinstance(other, ast.Constant) and isinstance(other.value, str)
            if render is not None and literal:
                call, redact = render
                engines = [_resolve(a, self.names) for a in (*call.args,
                           *(k.value for k in call.keywords))]  # fmt: skip
                builder = _resolve(call.func, self.names)
                return ExactRender(
                    builder, typing.cast(str, typing.cast(ast.Constant, other).value), redact,
                    frozenset(e.name for e in engines if isinstance(e, Engine)),
                    f"{self.path.name}:{statement.lineno}",
                )  # fmt: skip
        return None


def _stops(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Return | ast.Raise):
        return True
    for node in ast.walk(statement):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if name in STOPPERS:
                return True
    return False


def _untrusted_names(function: ast.FunctionDef) -> set[str]:
    plain = {id(s.targets[0]) for s in function.body
             if isinstance(s, ast.Assign) and len(s.targets) == 1
             and isinstance(s.targets[0], ast.Name)}  # fmt: skip
    return {
        node.id
        for node in ast.walk(function)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del)
        and id(node) not in plain
    } | {n for node in ast.walk(function) if isinstance(node, ast.Global | ast.Nonlocal)
         for n in node.names}  # fmt: skip


def _runs_always(function: ast.FunctionDef) -> bool:
    args = function.args
    parameters = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return not function.decorator_list and not any(parameters)


def _tests(tree: ast.Module) -> list[ast.FunctionDef]:
    latest: dict[str, ast.stmt] = {}
    for statement in tree.body:  # a later definition of the same name replaces the earlier one
        for name in _defined_names(statement):
            latest[name] = statement
    if "pytestmark" in latest:
        return []
    return [s for n, s in latest.items() if n.startswith("test_") and isinstance(s, ast.FunctionDef)
            and _runs_always(s)]  # fmt: skip


def _defined_names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [statement.name]
    found = []  # anything a statement at module level may bind, in a branch or loop too
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.append(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.append(node.name)
        elif isinstance(node, ast.alias):
            found.append(node.asname or node.name.split(".")[0])
    return found


def _patches(tree: ast.Module, names: dict[str, Any]) -> bool:
    """Whether the file replaces something it imported (a builder, `Cmd.render`...)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in names:
                return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if name in PATCHERS:
                return True
    return False


def exact_renders_in(path: Path, known: Iterable[Builder]) -> list[ExactRender]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = _imported_names(tree)
    if _patches(tree, names):
        return []
    found = []
    for function in _tests(tree):
        scan = _TestScan(path, names, set(known), _untrusted_names(function), {}, {})
        for statement in function.body:
            if _stops(statement):
                break
            if isinstance(statement, ast.Assign):
                scan.assign(statement)
            elif isinstance(statement, ast.Assert) and (render := scan.exact(statement)):
                found.append(render)
    return found


def test_files(directory: Path = TESTS) -> list[Path]:
    return sorted(directory.glob("test_*.py"))


def conftest_files(directory: Path = TESTS) -> list[Path]:
    """The conftest.py files pytest would apply to the tests in `directory` (there should be
    none: a fixture there could patch what the tests render)."""
    top = directory.parents[1]  # tests/
    found = []
    for folder in (directory, *directory.parents):
        if (folder / "conftest.py").exists():
            found.append(folder / "conftest.py")
        if folder == top:
            break
    return found


def exact_renders(paths: Iterable[Path] | None = None) -> list[ExactRender]:
    known = builders()
    return [r for path in (test_files() if paths is None else paths)
            for r in exact_renders_in(path, known)]  # fmt: skip


def coverage_problems(paths: Iterable[Path] | None = None) -> list[str]:
    """One line per builder without an exact-render test (or without one per engine)."""
    renders = exact_renders(paths)
    problems = []
    for builder in builders():
        mine = [r for r in renders if r.builder is builder]
        name = builder_name(builder)
        if not mine:
            problems.append(
                f"{name}: no exact-render test (assert {builder.__name__}(...).render() == "
                "'...' in a test under tests/unit/commands/)"
            )
        elif engine_dependent(builder):
            engines = frozenset().union(*(r.engines for r in mine))
            problems += [
                f"{name}: its output depends on the engine, and no exact render with {missing}"
                for missing in ("DOCKER", "PODMAN")
                if missing.lower() not in engines
            ]
    return problems
