"""Bad inputs of pruning (minigrad.nn.utils.prune) and quantisation
(minigrad.quantization), issue 17."""
import numpy as np

import minigrad
from minigrad import nn
from minigrad import quantization as Q
from minigrad.nn.utils import prune

from .bad_inputs import ARGS, DTYPES, LAYERS, STATE, T, case, seeded  # noqa: F401

LINEAR = "Linear(in_features=3, out_features=4, bias=True)"


def linear(tmp):
    return {"layer": nn.Linear(3, 4)}


def mlp():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def nan_weights(tmp):
    model = mlp()
    with minigrad.no_grad():
        model[0].weight._data[1, 2] = np.nan
    return {"model": model}


def calibrated(tmp):
    prepared = Q.prepare(nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(),
                                       nn.Linear(3 * 2 * 2, 5)))
    prepared(T(1, 2, 4, 4, grad=False))
    model = Q.convert(prepared)
    return {"model": model, "x": T(2, 3, 4, 4, grad=False), "flat": T(2, 7, grad=False)}


# -- pruning -----------------------------------------------------------------------------------

case("prune_amount_too_large", ARGS, "`prune.l1_unstructured` asked to prune more entries "
     "than the tensor has", seeded(linear),
     lambda o: prune.l1_unstructured(o.layer, "weight", 20), ValueError,
     ["prune.l1_unstructured", "amount=20", "parameters to prune=12"])
case("prune_amount_fraction", ARGS, "`prune.l1_unstructured` with a fraction above 1",
     seeded(linear), lambda o: prune.l1_unstructured(o.layer, "weight", 1.5), ValueError,
     ["prune.l1_unstructured", "amount=1.5", "float in [0, 1]"])
case("prune_no_such_parameter", ARGS, "pruning a parameter the layer does not have",
     seeded(linear), lambda o: prune.l1_unstructured(o.layer, "kernel", 0.5), AttributeError,
     ["prune.l1_unstructured", LINEAR, "no parameter 'kernel'", "['weight', 'bias']"])
case("prune_remove_unpruned", ARGS, "`prune.remove` of a parameter that was never pruned",
     seeded(linear), lambda o: prune.remove(o.layer, "weight"), ValueError,
     ["prune.remove", "'weight'", LINEAR, "has to be pruned before"])
case("prune_ln_structured_dim", ARGS, "`prune.ln_structured` along an axis the weight lacks",
     seeded(linear), lambda o: prune.ln_structured(o.layer, "weight", 1, n=2, dim=2),
     IndexError, ["prune.ln_structured", "dim=2", "2-d tensor of shape (4, 3)"])
case("prune_global_structured_method", ARGS, "`prune.global_unstructured` with a structured "
     "method", seeded(linear),
     lambda o: prune.global_unstructured([(o.layer, "weight")], prune.LnStructured, amount=1,
                                         n=2, dim=0), TypeError,
     ['"unstructured"', "LnStructured", "structured"])

# -- quantisation ------------------------------------------------------------------------------

case("quantize_uncalibrated", ARGS, "`quantization.convert` of a prepared model that has seen "
     "no calibration batch", seeded(lambda tmp: {"model": Q.prepare(mlp())}),
     lambda o: Q.convert(o.model), RuntimeError,
     ["convert: 0 " + LINEAR, "has seen no calibration batch"])
case("quantize_unprepared", ARGS, "`quantization.convert` of a model never prepared",
     seeded(lambda tmp: {"model": mlp()}), lambda o: Q.convert(o.model), RuntimeError,
     ["convert: Sequential()", "was not prepared (none of its 4 modules has an observer)",
      "prepare(model)"])
case("quantize_unsupported_layer", ARGS, "`quantize_dynamic` asked for a layer type it cannot "
     "quantise", seeded(lambda tmp: {"model": mlp()}),
     lambda o: Q.quantize_dynamic(o.model, {nn.Linear, nn.Conv2d}), TypeError,
     ["quantize_dynamic: Conv2d layers cannot be dynamically quantised", "(supported: Linear)"])
case("quantize_fuse_wrong_pair", ARGS, "`fuse_modules` on a pair that is not (layer, ReLU)",
     seeded(lambda tmp: {"model": mlp()}), lambda o: Q.fuse_modules(o.model, ["0", "2"]),
     TypeError, ["fuse_modules", "(Linear, ReLU)", "0 " + LINEAR,
                 "2 Linear(in_features=4, out_features=2, bias=True)"])
case("quantize_nan_weights", ARGS, "quantising a model whose weights have NaN values",
     seeded(nan_weights), lambda o: Q.quantize_dynamic(o.model), ValueError,
     ["quantize_dynamic: 0 " + LINEAR, "NaN values"])
case("quantized_state_dict_into_float_model", STATE, "loading a quantised (int8) state dict "
     "into the float model",
     seeded(lambda tmp: {"model": mlp(), "sd": Q.quantize_dynamic(mlp()).state_dict()}),
     lambda o: o.model.load_state_dict(o.sd), RuntimeError,
     ["Sequential", '"0.weight_scale"', '"2.weight_scale"'])
case("QuantizedConv2d_channels", LAYERS, "an input with the wrong channel count to a "
     "quantised `Conv2d`", seeded(calibrated), lambda o: o.model[0](o.x), ValueError,
     ["QuantizedConv2d(2, 3, kernel_size=(3, 3)", "input has 3 channels (shape (2, 3, 4, 4))",
      "expected 2"])
case("QuantizedLinear_features", LAYERS, "a quantised `Linear` input with the wrong number of "
     "features", seeded(calibrated), lambda o: o.model[3](o.flat), ValueError,
     ["QuantizedLinear(in_features=12, out_features=5", "input has 7 features (shape (2, 7))",
      "expected 12"])
case("DynamicQuantizedLinear_nan", LAYERS, "a NaN input to a dynamically quantised `Linear`",
     seeded(lambda tmp: {"layer": Q.quantize_dynamic(nn.Linear(3, 4)),
                         "x": minigrad.tensor(np.array([[1.0, np.nan, 0.0]], np.float32))}),
     lambda o: o.layer(o.x), ValueError,
     ["DynamicQuantizedLinear(in_features=3, out_features=4", "NaN or infinite"])


case("load_int8_weights_into_a_float_layer", STATE,
     "`load_state_dict` of int8 (quantised) weights into a float `Linear`, strict=False",
     lambda tmp: {"model": nn.Linear(3, 4),
                  "state": {"weight": np.ones((4, 3), np.int8), "bias": np.zeros(4, np.float32)}},
     lambda o: o.model.load_state_dict(o.state, strict=False), RuntimeError,
     ['value for "weight" is int8', '"weight" is float32',
      "load it into the quantised model"])
