"""Settings from layered sources with pydantic-settings: defaults < config file < environment < options.

pydantic converts and validates every value. What the library does not do is remember where a value came
from; `load_layers` does, so that a bad value is reported naming the setting and its source (an operator
must know whether to fix the option, the variable or the file). The listener and local's runner load this way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource

S = TypeVar("S", bound=BaseSettings)
# (describe where a setting came from, the values that source gives); lowest precedence first
Layer = tuple[Callable[[str], str], Mapping[str, Any]]
# pydantic error types that mean "not a value of the field's type" (as opposed to out of range)
_TYPE_ERRORS = ("_parsing", "_type", "int_from_float", "finite_number")


class ExplicitSettings(BaseSettings):
    """A BaseSettings that reads nothing by itself: constructing one in code or a test never looks at the
    environment; the loaders pass every source explicitly, in precedence order."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic would read `port = true` as 1: in a config file that is a mistake, not a number
        if isinstance(value, bool) and info.field_name and cls.model_fields[info.field_name].annotation in (int, float):
            raise PydanticCustomError("number_type", "a boolean is not a number")
        return value


class MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' environment source (`<env_prefix><NAME>`, any case) over a given mapping:
    os.environ in production, a test's dict otherwise."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._given = env
        super().__init__(settings_cls, case_sensitive=False)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._given.items()}


def environment(settings_cls: type[BaseSettings], env: Mapping[str, str]) -> Layer:
    """The environment layer: the values `env` gives the settings class, each named by its variable."""
    prefix = str(settings_cls.model_config.get("env_prefix", ""))
    return (lambda name: f"environment variable {prefix}{name.upper()}"), MappingEnvSource(settings_cls, env)()


def options(values: Mapping[str, Any]) -> Layer:
    """The command-line layer: options not given (None) are left to the layers below."""
    given = {name: value for name, value in values.items() if value is not None}
    return (lambda name: f"option --{name.replace('_', '-')}"), given


def load_layers(settings_cls: type[S], layers: Sequence[Layer], error: Callable[[str], Exception]) -> S:
    """Merge the layers (later ones win), validate, and raise `error(message)` naming a bad setting's source."""
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for where, layer in layers:
        for name, value in layer.items():
            values[name], origin[name] = value, where(name)
    try:
        return settings_cls(**values)
    except ValidationError as exc:
        raise error(describe(settings_cls, exc.errors()[0], origin)) from None


def describe(settings_cls: type[BaseSettings], err: ErrorDetails, origin: Mapping[str, str]) -> str:
    """One line naming the setting, its source and what is wrong with its value."""
    if not err["loc"]:
        return str(err.get("ctx", {}).get("error", err["msg"]))
    name = str(err["loc"][0])
    source = origin.get(name, "default")
    field = settings_cls.model_fields.get(name)
    if field is None:
        return f"{source}: unknown setting {name}"
    if any(marker in err["type"] for marker in _TYPE_ERRORS):
        kind = getattr(field.annotation, "__name__", str(field.annotation))
        return f"{name} from {source}: expected {kind}, got {err['input']!r}"
    ctx = err.get("ctx", {})
    if err["type"] == "greater_than_equal":
        problem = f"must be at least {ctx['ge']}"
    elif err["type"] == "greater_than":
        problem = f"must be above {ctx['gt']}"
    elif err["type"] == "less_than_equal":
        problem = f"must be at most {ctx['le']}"
    elif err["type"] == "value_error":
        problem = str(ctx["error"])
    else:
        problem = err["msg"]
    return f"{name}: {problem}, got {err['input']!r} (from {source})"
