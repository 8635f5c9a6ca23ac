"""Emergency control (重污染天气应急 / 秋冬季管控): alerts, measures per level, halt orders, compliance."""
