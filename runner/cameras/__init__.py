"""RealSense cameras: discovery, emulation and live capability checks (pyrealsense2, lazily).

- `runner.cameras.discovery`: `discover(context=None) -> list[DiscoveredCamera]`
- `runner.cameras.probe`: `probe_diagnostics(campaigns, context=None) -> list[Diagnostic]`
- `runner.cameras.emulation`: software-device cameras built from the capability table

Importing these modules never imports pyrealsense2; their functions do, on first call.
"""
