"""Media for live rooms: the relay (SFU) that forwards encoded audio and video."""
