package io.dvs.volume;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/** Finds {@link VolumePlugin}s on the class path with {@link ServiceLoader}. */
public final class VolumePlugins {
  private VolumePlugins() {}

  /** Every plugin on the class path, in discovery order. */
  public static List<VolumePlugin> all() {
    List<VolumePlugin> plugins = new ArrayList<>();
    ServiceLoader.load(VolumePlugin.class, VolumePlugins.class.getClassLoader())
        .forEach(plugins::add);
    return plugins;
  }

  public static Optional<VolumePlugin> find(String name) {
    return all().stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /** The plugin called {@code name}; the error lists the plugins that exist. */
  public static VolumePlugin byName(String name) {
    return find(name).orElseThrow(() -> new IllegalArgumentException("no volume plugin '" + name
        + "' (available: " + all().stream().map(VolumePlugin::name).toList() + ")"));
  }
}
