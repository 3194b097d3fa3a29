"""What Tupa holds about one parent, gathered from every feature for their export."""
