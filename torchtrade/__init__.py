"""torchtrade: TorchRL environments for live trading, and a local venue emulator."""
