"""Binding parameters the way the Python worker does, with azure.functions' own converters.

For each indexed function the worker checks the Python signature against the declared bindings
(names must match; a ``context`` parameter gets a ``func.Context``; parameters annotated ``str`` or
``bytes`` use the generic binding unless the binding has an implicit output, as activity and
orchestration triggers do), then per invocation decodes each incoming ``Datum`` with the binding's
converter from ``azure.functions.get_binding_registry()`` and encodes the return value with the
converter of the ``$return`` binding (or of the trigger, for implicit outputs). This module is that
logic, minus gRPC.
"""

from __future__ import annotations

import inspect
import threading
import typing
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
from azure.functions import _abc, meta
from azure.functions.decorators.function_app import Function

HTTP_TRIGGER = "httpTrigger"
HTTP_OUTPUT = "http"
ORCHESTRATION_TRIGGER = "orchestrationTrigger"
ACTIVITY_TRIGGER = "activityTrigger"
EVENT_GRID_TRIGGER = "eventGridTrigger"
DURABLE_CLIENT = "durableClient"
ENTITY_TRIGGER = "entityTrigger"
GENERIC = "generic"

_DIRECTION_OUT = 1
_DIRECTION_INOUT = 2


class FunctionLoadError(RuntimeError):
    def __init__(self, function_name: str, message: str) -> None:
        super().__init__(f"cannot load the {function_name} function: {message}")


class GenericBinding:
    """The worker's fallback for bindings without a converter and for str/bytes parameters."""

    @classmethod
    def has_implicit_output(cls) -> bool:
        return False

    @classmethod
    def check_input_type_annotation(cls, pytype: type) -> bool:
        return issubclass(pytype, (str, bytes))

    @classmethod
    def check_output_type_annotation(cls, pytype: type) -> bool:
        return issubclass(pytype, (str, bytes, bytearray))

    @classmethod
    def encode(cls, obj: Any, *, expected_type: type | None) -> meta.Datum:
        if isinstance(obj, str):
            return meta.Datum(type="string", value=obj)
        if isinstance(obj, bytes | bytearray):
            return meta.Datum(type="bytes", value=bytes(obj))
        if obj is None:
            return meta.Datum(type=None, value=None)
        raise NotImplementedError

    @classmethod
    def decode(cls, data: meta.Datum, *, trigger_metadata: Any) -> Any:
        if data is None or data.type is None:
            return None
        if data.type in ("string", "bytes", "json"):
            return data.value
        raise ValueError(
            f'unexpected type of data received for the "generic" binding: {data.type!r}'
        )


def converter(binding_type: str) -> Any:
    if binding_type == GENERIC:
        return GenericBinding
    registry: Any = meta.get_binding_registry()  # type: ignore[no-untyped-call]
    return registry.get(binding_type) or GenericBinding


def has_implicit_output(binding_type: str) -> bool:
    found = converter(binding_type)
    probe = getattr(found, "has_implicit_output", None)
    return bool(probe()) if probe is not None else False


@dataclass(frozen=True)
class ParamInfo:
    binding_type: str  # the converter used: the binding's type, or "generic"
    pytype: Any


@dataclass
class FunctionMetadata:
    """An indexed function, as the worker's FunctionInfo holds it."""

    name: str
    function: Function
    user_function: Callable[..., Any]
    trigger: Any
    trigger_type: str
    inputs: dict[str, ParamInfo]
    outputs: dict[str, ParamInfo]
    bindings_by_name: dict[str, Any]
    return_binding: str | None
    return_pytype: Any
    requires_context: bool
    is_async: bool
    durable_name: str = ""  # the name the Durable extension registers for triggers it owns
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def trigger_param(self) -> str:
        return str(self.trigger.name)

    def params_of_type(self, binding_type: str) -> list[str]:
        return [
            name for name, binding in self.bindings_by_name.items() if binding.type == binding_type
        ]

    def client_inputs(self, binding: Callable[[], str] | None) -> dict[str, meta.Datum | None]:
        """The data of the function's durable client parameters: the JSON ``binding()`` makes,
        or None for each when there is no client to hand out."""
        names = self.params_of_type(DURABLE_CLIENT)
        if not names:
            return {}
        datum = None if binding is None else meta.Datum(type="string", value=binding())
        return dict.fromkeys(names, datum)


def index_function(function: Function) -> FunctionMetadata:
    name = function.get_function_name() or function.get_user_function().__name__
    user_function = function.get_user_function()
    trigger: Any = function.get_trigger()
    if trigger is None:
        raise FunctionLoadError(name, "it has no trigger")
    signature = inspect.signature(user_function)
    params = dict(signature.parameters)
    try:
        annotations = typing.get_type_hints(user_function)
    except Exception as error:
        raise FunctionLoadError(name, f"its annotations cannot be resolved: {error}") from error

    bound: dict[str, Any] = {}
    return_binding: str | None = None
    explicit_return = False
    for binding in function.get_bindings():
        if binding.direction == _DIRECTION_INOUT:
            raise FunctionLoadError(name, '"inout" bindings are not supported')
        if binding.name == "$return":
            if binding.direction != _DIRECTION_OUT:
                raise FunctionLoadError(name, '"$return" binding must have direction set to "out"')
            explicit_return = True
            return_binding = binding.type
        else:
            if has_implicit_output(str(binding.type)):
                return_binding = binding.type
            bound[binding.name] = binding

    requires_context = False
    if "context" in params and "context" not in bound:
        requires_context = True
        params.pop("context")

    undeclared = set(params) - set(bound)
    if undeclared:
        raise FunctionLoadError(
            name,
            "the following parameters are declared in Python but not in the function "
            f"definition: {undeclared!r}",
        )
    missing = set(bound) - set(params)
    if missing:
        raise FunctionLoadError(
            name,
            "the following parameters are declared in the function definition but not in "
            f"Python: {missing!r}",
        )

    inputs: dict[str, ParamInfo] = {}
    outputs: dict[str, ParamInfo] = {}
    for param in params.values():
        binding = bound[param.name]
        has_annotation = param.name in annotations
        annotation = annotations.get(param.name)
        is_out_param = _is_out_annotation(annotation)
        pytype = typing.get_args(annotation)[0] if is_out_param else annotation
        is_binding_out = binding.direction == _DIRECTION_OUT
        if is_binding_out != is_out_param and has_annotation:
            raise FunctionLoadError(
                name, f"binding {param.name} direction does not match its annotation"
            )
        if has_annotation and pytype in (str, bytes) and not has_implicit_output(str(binding.type)):
            binding_type = GENERIC
        else:
            binding_type = binding.type
        if has_annotation and isinstance(pytype, type):
            found = converter(binding_type)
            check = (
                found.check_output_type_annotation
                if is_out_param
                else found.check_input_type_annotation
            )
            if not check(pytype):
                raise FunctionLoadError(
                    name,
                    f'type of {param.name} binding "{binding.type}" does not match its Python '
                    f'annotation "{getattr(pytype, "__name__", pytype)}"',
                )
        info = ParamInfo(binding_type, pytype)
        if is_binding_out:
            outputs[param.name] = info
        else:
            inputs[param.name] = info

    return_pytype = annotations.get("return")
    if (
        explicit_return
        and return_binding is not None
        and isinstance(return_pytype, type)
        and not converter(return_binding).check_output_type_annotation(return_pytype)
    ):
        raise FunctionLoadError(
            name,
            f'Python return annotation "{return_pytype.__name__}" does not match binding '
            f'type "{return_binding}"',
        )

    durable_name = name
    if trigger.type == ORCHESTRATION_TRIGGER and getattr(trigger, "orchestration", None):
        durable_name = str(trigger.orchestration)
    elif trigger.type == ACTIVITY_TRIGGER and getattr(trigger, "activity", None):
        durable_name = str(trigger.activity)
    elif trigger.type == ENTITY_TRIGGER and getattr(trigger, "entity_name", None):
        durable_name = str(trigger.entity_name)

    return FunctionMetadata(
        name=name,
        function=function,
        user_function=user_function,
        trigger=trigger,
        trigger_type=str(trigger.type),
        inputs=inputs,
        outputs=outputs,
        bindings_by_name=bound,
        return_binding=return_binding,
        return_pytype=return_pytype,
        requires_context=requires_context,
        is_async=inspect.iscoroutinefunction(user_function),
        durable_name=durable_name,
    )


def _is_out_annotation(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    candidate = origin if origin is not None else annotation
    return isinstance(candidate, type) and candidate.__name__ == "Out"


def decode_inputs(
    metadata: FunctionMetadata, data: Mapping[str, meta.Datum | None]
) -> dict[str, Any]:
    """Convert each incoming Datum into the Python value the function's parameter expects."""
    args: dict[str, Any] = {}
    for param, info in metadata.inputs.items():
        datum = data.get(param)
        found = converter(info.binding_type)
        try:
            args[param] = found.decode(datum, trigger_metadata={})
        except NotImplementedError as error:
            raise TypeError(
                f"unable to decode incoming data for {param!r}: unsupported combination of "
                f"data type {getattr(datum, 'type', None)!r} and binding {info.binding_type}"
            ) from error
    for param, _info in metadata.outputs.items():
        args[param] = OutValue()
    return args


def encode_return(metadata: FunctionMetadata, value: Any) -> meta.Datum | None:
    if metadata.return_binding is None:
        return None
    found = converter(metadata.return_binding)
    try:
        datum: meta.Datum = found.encode(value, expected_type=metadata.return_pytype)
    except NotImplementedError as error:
        raise TypeError(
            f'unable to encode outgoing data: unsupported type "{metadata.return_binding}" for '
            f'Python type "{type(value).__name__}"'
        ) from error
    return datum


class OutValue(func.Out[Any]):
    """The value holder the worker passes for ``func.Out[T]`` parameters."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


class _TraceContext(_abc.TraceContext):
    @property
    def trace_state(self) -> str:
        return ""

    @property
    def trace_parent(self) -> str:
        return ""

    @property
    def attributes(self) -> dict[str, str]:
        return {}


class _RetryContext(_abc.RetryContext):
    @property
    def retry_count(self) -> int:
        return 0

    @property
    def max_retry_count(self) -> int:
        return 0

    @property
    def exception(self) -> Any:
        return None


class InvocationContext(func.Context):
    """The ``context`` argument a function may ask for."""

    _thread_local = threading.local()

    def __init__(self, function_name: str, function_directory: str) -> None:
        self._invocation_id = str(uuid.uuid4())
        self._function_name = function_name
        self._function_directory = function_directory

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> Any:
        return self._thread_local

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> _abc.TraceContext:
        return _TraceContext()

    @property
    def retry_context(self) -> _abc.RetryContext:
        return _RetryContext()
