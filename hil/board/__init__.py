"""The open charger board over its serial link: framing and messages (pure), the device, and the
``SerialBoard`` module that provides the board's HAL interfaces. See docs/board-protocol.md."""
