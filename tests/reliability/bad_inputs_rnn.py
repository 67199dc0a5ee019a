"""Bad inputs of the recurrent layers (nn.RNN, nn.LSTM, nn.GRU), in the LAYERS and ARGS
groups of docs/errors.md."""
from minigrad import nn

from .bad_inputs import ARGS, LAYERS, T, case, seeded  # noqa: F401

# -- shapes: the input's features, the initial state's shape ---------------------------------

case("RNN_features", LAYERS, "`RNN` input with the wrong number of features",
     seeded(lambda tmp: {"layer": nn.RNN(3, 4), "x": T(5, 2, 6)}), lambda o: o.layer(o.x),
     ValueError, ["RNN(3, 4): expected input with 3 features (input_size, the last axis)",
                  "got shape (5, 2, 6)"])
case("RNN_hx_layers", LAYERS, "an `RNN` hx with fewer layers than the RNN",
     seeded(lambda tmp: {"layer": nn.RNN(3, 4, num_layers=2), "x": T(5, 2, 3),
                         "h0": T(1, 2, 4, seed=1)}),
     lambda o: o.layer(o.x, o.h0), ValueError,
     ["RNN(3, 4, num_layers=2): expected hx of shape (2, 2, 4) "
      "(num_layers·num_directions, N, hidden_size)", "got (1, 2, 4)"])
case("LSTM_features", LAYERS, "`LSTM` input (batch_first) with the wrong number of features",
     seeded(lambda tmp: {"layer": nn.LSTM(3, 4, batch_first=True), "x": T(2, 5, 4)}),
     lambda o: o.layer(o.x), ValueError,
     ["LSTM(3, 4, batch_first=True): expected input with 3 features", "got shape (2, 5, 4)"])
case("LSTM_h0_batch", LAYERS, "an `LSTM` h_0 whose batch size is not the input's",
     seeded(lambda tmp: {"layer": nn.LSTM(3, 4, bidirectional=True), "x": T(5, 2, 3),
                         "h0": T(2, 3, 4, seed=1), "c0": T(2, 2, 4, seed=2)}),
     lambda o: o.layer(o.x, (o.h0, o.c0)), ValueError,
     ["LSTM(3, 4, bidirectional=True): expected h_0 of shape (2, 2, 4)", "got (2, 3, 4)"])
case("LSTM_hx_not_a_tuple", LAYERS, "one Tensor as the state of an `LSTM` (it takes (h_0, c_0))",
     seeded(lambda tmp: {"layer": nn.LSTM(3, 4), "x": T(5, 2, 3), "h0": T(1, 2, 4, seed=1)}),
     lambda o: o.layer(o.x, o.h0), TypeError,
     ["LSTM(3, 4): hx must be a tuple (h_0, c_0) of Tensors", "got Tensor"])
case("GRU_features", LAYERS, "unbatched `GRU` input with the wrong number of features",
     seeded(lambda tmp: {"layer": nn.GRU(3, 4), "x": T(5, 2)}), lambda o: o.layer(o.x),
     ValueError, ["GRU(3, 4): expected input with 3 features", "got shape (5, 2)"])
case("GRU_hx_unbatched", LAYERS, "a batched hx (3-d) with unbatched input to `GRU`",
     seeded(lambda tmp: {"layer": nn.GRU(3, 4), "x": T(5, 3), "h0": T(1, 1, 4, seed=1)}),
     lambda o: o.layer(o.x, o.h0), ValueError,
     ["GRU(3, 4): expected hx of shape (1, 4) (num_layers·num_directions, hidden_size) for "
      "unbatched input", "got (1, 1, 4)"])

# -- arguments -------------------------------------------------------------------------------

case("RNN_num_layers_float", ARGS, "a float `num_layers` for `RNN`",
     lambda tmp: {}, lambda o: nn.RNN(3, 4, num_layers=1.5), ValueError,
     ["RNN: num_layers must be an int ≥ 1", "got 1.5"])
case("RNN_nonlinearity", ARGS, "an unknown `nonlinearity` for `RNN`",
     lambda tmp: {}, lambda o: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError,
     ["RNN: unknown nonlinearity 'sigmoid'", "'tanh' or 'relu'"])
case("LSTM_num_layers_float", ARGS, "a float `num_layers` for `LSTM`",
     lambda tmp: {}, lambda o: nn.LSTM(3, 4, 2.0), ValueError,
     ["LSTM: num_layers must be an int ≥ 1", "got 2.0"])
case("LSTM_proj_size", ARGS, "an `LSTM` proj_size not smaller than hidden_size",
     lambda tmp: {}, lambda o: nn.LSTM(3, 4, proj_size=4), ValueError,
     ["LSTM: proj_size has to be smaller than hidden_size", "proj_size=4 and hidden_size=4"])
case("GRU_num_layers_float", ARGS, "a float `num_layers` for `GRU`",
     lambda tmp: {}, lambda o: nn.GRU(3, 4, num_layers=0.5), ValueError,
     ["GRU: num_layers must be an int ≥ 1", "got 0.5"])
case("GRU_dropout", ARGS, "a `GRU` dropout outside [0, 1]",
     lambda tmp: {}, lambda o: nn.GRU(3, 4, num_layers=2, dropout=1.5), ValueError,
     ["GRU: dropout should be a number in range [0, 1]", "got 1.5 (float)"])
