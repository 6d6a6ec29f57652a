package org.margincall.engine.template;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads a CloudFormation/SAM template with its short-form intrinsic tags ({@code !Ref},
 * {@code !GetAtt}, {@code !Sub}, ...) turned into their long forms, so checks see one shape.
 */
final class CfnYaml {
    private static final Map<String, String> FUNCTIONS = Map.ofEntries(
            Map.entry("!Ref", "Ref"), Map.entry("!GetAtt", "Fn::GetAtt"), Map.entry("!Sub", "Fn::Sub"),
            Map.entry("!Join", "Fn::Join"), Map.entry("!If", "Fn::If"), Map.entry("!Equals", "Fn::Equals"),
            Map.entry("!Not", "Fn::Not"), Map.entry("!And", "Fn::And"), Map.entry("!Or", "Fn::Or"),
            Map.entry("!Select", "Fn::Select"), Map.entry("!Split", "Fn::Split"), Map.entry("!FindInMap", "Fn::FindInMap"),
            Map.entry("!ImportValue", "Fn::ImportValue"), Map.entry("!GetAZs", "Fn::GetAZs"),
            Map.entry("!Base64", "Fn::Base64"), Map.entry("!Condition", "Condition"), Map.entry("!Cidr", "Fn::Cidr"));

    private CfnYaml() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> read(Path file) throws IOException {
        return (Map<String, Object>) new Yaml(new Constructor()).load(Files.readString(file));
    }

    private static final class Constructor extends SafeConstructor {
        Constructor() {
            super(new LoaderOptions());
            FUNCTIONS.forEach((tag, fn) -> yamlConstructors.put(new Tag(tag), new Intrinsic(fn)));
        }

        private final class Intrinsic extends AbstractConstruct {
            private final String fn;

            Intrinsic(String fn) {
                this.fn = fn;
            }

            @Override
            public Object construct(Node node) {
                Object value;
                if (node instanceof ScalarNode s) {
                    String v = s.getValue();
                    value = fn.equals("Fn::GetAtt") ? List.of(v.substring(0, v.indexOf('.')), v.substring(v.indexOf('.') + 1)) : v;
                } else if (node instanceof SequenceNode seq) {
                    List<Object> items = new ArrayList<>();
                    for (Node n : seq.getValue()) {
                        items.add(constructObject(n));
                    }
                    value = items;
                } else {
                    value = constructMapping((MappingNode) node);
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put(fn, value);
                return m;
            }
        }
    }
}
